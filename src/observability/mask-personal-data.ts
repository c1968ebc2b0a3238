/**
 * Masks personal data (emails, phone numbers) inside free text, so logs can be shared without
 * exposing who the records belong to. Only strings are touched: numbers such as timestamps never are.
 */

const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})/g;
// A run of digits with separators, not glued to letters, dashes or dots (ids, versions, UUID parts).
const PHONE_CANDIDATE = /(?<![\w.\-/:#])(\+?\(?\d[\d ().-]{5,}\d)(?![\w:/])/g;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const DECIMAL = /^\d+\.\d+$/;
const PHONE_KEY = /phone|mobile|tel(?:ephone)?$|fax|msisdn/i;

function digitsOf(text: string): string {
  return text.replace(/\D/g, '');
}

function maskPhone(digits: string): string {
  return `***-${digits.slice(-4)}`;
}

/** True when a digit run reads as a phone number rather than a date, an address, a decimal or an id. */
function looksLikePhone(candidate: string): boolean {
  const digits = digitsOf(candidate);
  if (digits.length < 7 || digits.length > 15) return false;
  if (ISO_DATE.test(candidate) || IPV4.test(candidate) || DECIMAL.test(candidate)) return false;
  // Bare digit strings are usually ids or amounts; a phone written in text has a + or separators.
  return candidate.startsWith('+') || /[ ().-]/.test(candidate);
}

/** Masks emails (`j***@example.com`) and phone numbers (`***-4567`) in a string. */
export function maskPersonalText(text: string): string {
  let out = text.replace(EMAIL, (_m, first: string, domain: string) => `${first}***@${domain}`);
  out = out.replace(PHONE_CANDIDATE, (m) => (looksLikePhone(m) ? maskPhone(digitsOf(m)) : m));
  return out;
}

/**
 * Deep-copies a JSON-like value, masking personal data in every string; a string under a phone-like
 * key ("phone", "mobile") is masked even when it is a bare run of digits.
 */
export function maskPersonalData<T>(value: T, key?: string): T {
  if (typeof value === 'string') {
    if (key !== undefined && PHONE_KEY.test(key)) {
      const digits = digitsOf(value);
      if (digits.length >= 7) return maskPhone(digits) as T;
    }
    return maskPersonalText(value) as T;
  }
  if (Array.isArray(value)) return value.map((v) => maskPersonalData(v, key)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskPersonalData(v, k);
    return out as T;
  }
  return value;
}

// Keys whose string values name or locate a person: masked whole, whatever the value looks like.
const PERSONAL_KEY = /name|street|line_?\d|zip|postal|birth|^dob$|ssn|passport|iban|tax_?id/i;

function maskWord(text: string): string {
  return text.length === 0 ? text : `${[...text][0]}***`;
}

/**
 * Masks a record or body for display: emails and phone numbers anywhere (as maskPersonalData), and the
 * whole value of fields that name or locate a person (names, street lines, postal codes, birth dates),
 * keeping the first letter so an operator can still tell records apart.
 */
export function maskPersonalFields<T>(value: T, key?: string): T {
  if (typeof value === 'string' && key !== undefined && PERSONAL_KEY.test(key)) {
    return value
      .split(/(\s+)/)
      .map((part) => (/^\s+$/.test(part) ? part : maskWord(part)))
      .join('') as T;
  }
  if (typeof value === 'number' && key !== undefined && PERSONAL_KEY.test(key)) return '***' as T;
  if (Array.isArray(value)) return value.map((v) => maskPersonalFields(v, key)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // A plain assignment to out["__proto__"] would set the copy's prototype instead of keeping the key.
      Object.defineProperty(out, k, {
        value: maskPersonalFields(v, k),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out as T;
  }
  return maskPersonalData(value, key);
}
