import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { insecureUrlReason } from '../../config/url-policy.ts';
import { FerryError } from '../../core/errors.ts';
import { redactSecrets } from '../../core/secret-registry.ts';

/** Where a source file is: on this machine, or behind an http(s) URL. */
export type InputLocation =
  | { readonly kind: 'file'; readonly path: string; readonly name: string }
  | { readonly kind: 'url'; readonly url: string; readonly name: string };

/** True when `text` names a URL rather than a local path (`https://`, `http://`, `file://`). */
export function looksLikeUrl(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
}

/**
 * Reads a source's `path` option: a local path (relative to the integration file's directory), a
 * `file://` URL, or an https:// URL (plain http only to loopback, or with the insecure-http opt-out).
 * `name` is what positions and messages call the file (`customers.csv`): never a query string, which may
 * carry a signature.
 */
export function resolveInputLocation(
  path: string,
  baseDir: string,
  allowInsecureHttp: boolean,
): InputLocation {
  if (!looksLikeUrl(path)) {
    const full = resolve(baseDir, path);
    return { kind: 'file', path: full, name: basename(full) };
  }
  const url = URL.parse(path);
  if (url?.protocol === 'file:') {
    const full = fileURLToPath(url);
    return { kind: 'file', path: full, name: basename(full) };
  }
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new FerryError(
      'FERRY_ERR_CONFIG_INVALID',
      `source path ${redactSecrets(path)}: expected a local path or an https:// URL`,
    );
  }
  const insecure = insecureUrlReason(url.href);
  if (insecure !== undefined && !allowInsecureHttp) {
    throw new FerryError(
      'FERRY_ERR_CONFIG_INSECURE_URL',
      `source path ${redactSecrets(url.origin + url.pathname)} ${insecure} (or set options.dangerously_allow_insecure_http)`,
    );
  }
  const last = url.pathname
    .split('/')
    .filter((part) => part !== '')
    .pop();
  return { kind: 'url', url: url.href, name: decodeURIComponentSafe(last ?? url.hostname) };
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
