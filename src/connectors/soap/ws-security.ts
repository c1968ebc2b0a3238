import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { escapeXmlText } from '../../xml/escape-xml.ts';
import type { SoapVersion } from './wsdl-model.ts';

const WSSE_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const WSU_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const PROFILE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0';
const BASE64 =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';

/** A WS-Security 1.0 UsernameToken's settings. */
export interface UsernameToken {
  readonly username: string;
  readonly password: string;
  /** text sends the password; digest sends Base64(SHA-1(nonce + created + password)). */
  readonly passwordType: 'text' | 'digest';
  /** Mark the Security header mustUnderstand. @default true */
  readonly mustUnderstand?: boolean;
}

/** Base64(SHA-1(nonce bytes + created + password)), the UsernameToken profile's PasswordDigest. */
export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1')
    .update(Buffer.concat([nonce, Buffer.from(created + password, 'utf8')]))
    .digest('base64');
}

/**
 * Writes the `wsse:Security` header block with a UsernameToken, fresh on every call: a digest token
 * gets a new 16-byte random nonce and the current time, as a server that refuses replayed nonces needs
 * for every attempt.
 *
 * Written by ferry: the `soap` package's WSSecurity writes the same block but only as part of its own
 * client (which sends through axios), and bringing that package into the runtime for twenty lines would
 * bring axios, xml-crypto and formidable with it.
 */
export function usernameTokenHeader(
  token: UsernameToken,
  version: SoapVersion,
  now: () => number = Date.now,
): string {
  const mustUnderstand =
    token.mustUnderstand === false ? '' : ` soap:mustUnderstand="${version === '1.1' ? '1' : 'true'}"`;
  const username = `<wsse:Username>${escapeXmlText(token.username)}</wsse:Username>`;
  let secret: string;
  if (token.passwordType === 'text') {
    secret = `<wsse:Password Type="${PROFILE}#PasswordText">${escapeXmlText(token.password)}</wsse:Password>`;
  } else {
    const nonce = randomBytes(16);
    const created = new Date(now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    secret =
      `<wsse:Password Type="${PROFILE}#PasswordDigest">${passwordDigest(nonce, created, token.password)}</wsse:Password>` +
      `<wsse:Nonce EncodingType="${BASE64}">${nonce.toString('base64')}</wsse:Nonce>` +
      `<wsu:Created>${created}</wsu:Created>`;
  }
  return (
    `<wsse:Security xmlns:wsse="${WSSE_NS}" xmlns:wsu="${WSU_NS}"${mustUnderstand}>` +
    `<wsse:UsernameToken wsu:Id="UsernameToken-${randomUUID()}">${username}${secret}</wsse:UsernameToken>` +
    '</wsse:Security>'
  );
}
