import { isDeepStrictEqual } from 'node:util';

/**
 * True when everything we sent is present, equal, in what the destination returned. Destinations add
 * fields of their own (ids, timestamps, status), so equality of the whole body would be too strict.
 */
export function containsSent(sent: unknown, stored: unknown): boolean {
  if (sent === null || typeof sent !== 'object' || Array.isArray(sent))
    return isDeepStrictEqual(sent, stored);
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) return false;
  for (const [key, value] of Object.entries(sent)) {
    if (!Object.hasOwn(stored, key)) return false;
    if (!containsSent(value, (stored as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/** Fills `{key}` with the record key and `{field}` with a top-level body field, URL-encoded. */
export function fillUrlTemplate(template: string, key: string, body: Record<string, unknown>): string {
  return template.replace(/\{([A-Za-z0-9_.-]+)\}/g, (_, name: string) => {
    const value = name === 'key' ? key : body[name];
    return encodeURIComponent(typeof value === 'string' || typeof value === 'number' ? String(value) : '');
  });
}
