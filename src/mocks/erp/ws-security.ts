import { createHash } from 'node:crypto';
import { sameSecret } from '../credentials.ts';
import type { XmlElement } from './xml-tree.ts';

/** WS-Security 1.0 secext namespace (the Security header and UsernameToken). */
export const WSSE_NAMESPACE =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
/** WS-Security 1.0 utility namespace (wsu:Created). */
export const WSU_NAMESPACE =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const TOKEN_PROFILE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0';
/** The Password Type URI of a clear-text password. */
export const PASSWORD_TEXT_TYPE = `${TOKEN_PROFILE}#PasswordText`;
/** The Password Type URI of a digest password. */
export const PASSWORD_DIGEST_TYPE = `${TOKEN_PROFILE}#PasswordDigest`;
const BASE64_ENCODING =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';

/** Which UsernameToken password forms a server accepts. */
export type PasswordType = 'text' | 'digest' | 'both';

/** The contract's freshness window for Created, and how long a nonce is remembered. */
export const TOKEN_WINDOW_MS = 5 * 60_000;
// Clocks of client and server differ; a token a little from the future is still accepted.
const CLOCK_SKEW_MS = 60_000;

/** Base64(SHA-1(nonce bytes + created + password)): the UsernameToken profile's PasswordDigest. */
export function passwordDigest(nonceBase64: string, created: string, password: string): string {
  return createHash('sha1')
    .update(Buffer.concat([Buffer.from(nonceBase64, 'base64'), Buffer.from(created + password, 'utf8')]))
    .digest('base64');
}

/** Checks the UsernameToken of each request; remembers nonces for the window to refuse replays. */
export interface UsernameTokenVerifier {
  /** Null when the headers carry an acceptable token, else why it was refused (never echoing a secret). */
  verify(headers: readonly XmlElement[]): { reason: string; replay: boolean } | null;
  /** Forgets every nonce seen. */
  reset(): void;
}

function child(element: XmlElement, ns: string, name: string): XmlElement | undefined {
  return element.children.find((c) => c.ns === ns && c.name === name);
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Creates the verifier of one server's credentials. */
export function createUsernameTokenVerifier(options: {
  username: string;
  password: string;
  passwordType: PasswordType;
  now: () => number;
}): UsernameTokenVerifier {
  const { username, password, passwordType, now } = options;
  // Nonces in arrival order with the time they may be forgotten, so pruning costs nothing per request.
  let seen = new Map<string, number>();
  let queue: { nonce: string; until: number }[] = [];
  let head = 0;

  const prune = (at: number) => {
    for (let entry = queue[head]; entry !== undefined && entry.until <= at; entry = queue[++head]) {
      if (seen.get(entry.nonce) === entry.until) seen.delete(entry.nonce);
    }
    if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
  };

  const refuse = (reason: string, replay = false) => ({ reason, replay });

  return {
    verify(headers) {
      const security = headers.find((h) => h.ns === WSSE_NAMESPACE && h.name === 'Security');
      if (!security) return refuse('the request has no WS-Security header');
      const token = child(security, WSSE_NAMESPACE, 'UsernameToken');
      if (!token) return refuse('the WS-Security header has no UsernameToken');
      const user = child(token, WSSE_NAMESPACE, 'Username')?.text;
      const passwordElement = child(token, WSSE_NAMESPACE, 'Password');
      const nonceElement = child(token, WSSE_NAMESPACE, 'Nonce');
      const created = child(token, WSU_NAMESPACE, 'Created')?.text.trim();
      if (user === undefined || passwordElement === undefined)
        return refuse('the UsernameToken needs a Username and a Password');
      const type = passwordElement.attributes.Type ?? PASSWORD_TEXT_TYPE;
      const digest = type === PASSWORD_DIGEST_TYPE;
      if (!digest && type !== PASSWORD_TEXT_TYPE) return refuse(`unknown Password Type "${type}"`);
      if (digest ? passwordType === 'text' : passwordType === 'digest')
        return refuse(`this server does not accept ${digest ? 'PasswordDigest' : 'PasswordText'} tokens`);
      const encoding = nonceElement?.attributes.EncodingType ?? BASE64_ENCODING;
      if (encoding !== BASE64_ENCODING) return refuse(`unsupported Nonce EncodingType "${encoding}"`);
      const nonce = nonceElement?.text.trim();
      if (digest && (nonce === undefined || nonce === '' || created === undefined))
        return refuse('a PasswordDigest token needs a Nonce and a wsu:Created');

      const at = now();
      let until = at + TOKEN_WINDOW_MS;
      if (created !== undefined) {
        const createdMs = DATE_TIME.test(created) ? Date.parse(created) : Number.NaN;
        if (Number.isNaN(createdMs)) return refuse('wsu:Created is not an xs:dateTime with a time zone');
        if (at - createdMs > TOKEN_WINDOW_MS) return refuse('the token was created more than 5 minutes ago');
        if (createdMs - at > CLOCK_SKEW_MS) return refuse('the token was created in the future');
        until = createdMs + TOKEN_WINDOW_MS + CLOCK_SKEW_MS;
      }
      const expected = digest ? passwordDigest(nonce ?? '', created ?? '', password) : password;
      if (!sameSecret(user, username) || !sameSecret(passwordElement.text, expected))
        return refuse('unknown username or wrong password');
      if (nonce !== undefined && nonce !== '') {
        prune(at);
        if (seen.has(nonce)) return refuse('the nonce was used before (replay)', true);
        seen.set(nonce, until);
        queue.push({ nonce, until });
      }
      return null;
    },
    reset() {
      seen = new Map();
      queue = [];
      head = 0;
    },
  };
}
