import { isIP } from 'node:net';

/** True for http(s) URLs whose host is loopback: 127.0.0.0/8, ::1 or localhost. */
export function isLoopbackUrl(url: string | URL): boolean {
  const parsed = typeof url === 'string' ? URL.parse(url) : url;
  if (!parsed) return false;
  const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === 'localhost.') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

/** Why a URL may not be used without the insecure-http opt-out, or undefined when it may. */
export function insecureUrlReason(url: string): string | undefined {
  const parsed = URL.parse(url.replaceAll('{key}', 'key'));
  if (parsed?.protocol !== 'http:' || isLoopbackUrl(parsed)) return undefined;
  return `uses plain http:// to ${parsed.host}, which is not a loopback host; use https://`;
}
