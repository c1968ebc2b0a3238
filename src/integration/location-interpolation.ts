import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseTemplate, type Reference } from '../config/interpolate.ts';
import { FerryError } from '../core/errors.ts';
import { registerSecret } from '../core/secret-registry.ts';
import { looksLikeUrl } from './looks-like-url.ts';
import type { ConfigEnv } from './resolve-integration.ts';

// Its own file, apart from reading a file's `state:` (state-setting.ts, which parses YAML): the CLI
// interpolates --state and FERRY_STATE with it, and `ferry --help` must not load a YAML parser for that.

/** How interpolateLocation treats a value. */
export interface LocationInterpolation {
  /** What gave the value, for messages: `--state`, `sync.yaml:3 state`. */
  readonly at: string;
  readonly env: ConfigEnv;
  /** Relative `${file:...}` paths resolve against it. */
  readonly baseDir: string;
  /**
   * `refuse`: a password written in a URL (a command line, a config file) is an error; `allow`: the value
   * came from an environment variable, the place a URL with its password belongs.
   */
  readonly literalPassword: 'allow' | 'refuse';
  /** The code of a malformed value. */
  readonly invalidCode: 'FERRY_ERR_CONFIG_INVALID' | 'FERRY_ERR_USAGE';
}

/** Stands for a reference while the shape of the value is judged; never in a value itself. */
const MARK = (n: number) => `ferryref${n}x`;

/**
 * Interpolates a ledger location: `${VAR}` anywhere; in a database URL, `${file:...}` (a secret file) as the
 * password, inserted percent-encoded, as is a `${VAR}` that makes up the password. A password written
 * literally in the URL is refused unless `literalPassword` allows it: it would show in `ps`, shell history
 * or the repository. The password is registered as a secret, so no message or log shows it.
 */
export function interpolateLocation(raw: string, options: LocationInterpolation): string {
  const parsed = parseTemplate(raw);
  if ('error' in parsed) throw new FerryError(options.invalidCode, `${options.at}: ${parsed.error}`);
  const refs: Reference[] = [];
  let shape = '';
  for (const part of parsed.parts) {
    if ('text' in part) shape += part.text;
    else {
      shape += MARK(refs.length);
      refs.push(part.ref);
    }
  }
  const passwordRefs = new Set<number>();
  if (looksLikeUrl(shape)) {
    const password = passwordOf(shape);
    if (password !== '') {
      const literal = password.replace(/ferryref\d+x/g, '');
      if (literal !== '' && options.literalPassword === 'refuse') {
        throw new FerryError(
          options.invalidCode === 'FERRY_ERR_USAGE' ? 'FERRY_ERR_USAGE' : 'FERRY_ERR_CONFIG_LITERAL_SECRET',
          `${options.at}: the database URL has its password written in it, where ps, shell history or the ` +
            `repository would show it; give it in PGPASSWORD, as \${file:/run/secrets/...} in the URL, or put ` +
            `the whole URL in an environment variable (FERRY_STATE, or state: \${DATABASE_URL})`,
        );
      }
      for (const match of password.matchAll(/ferryref(\d+)x/g)) passwordRefs.add(Number(match[1]));
    }
  }
  let out = '';
  let secret = '';
  for (const part of parsed.parts) {
    if ('text' in part) {
      out += part.text;
      continue;
    }
    const index = refs.indexOf(part.ref);
    const value = resolveReference(part.ref, passwordRefs.has(index), options);
    if (passwordRefs.has(index)) {
      secret += value;
      out += encodeURIComponent(value);
    } else out += value;
  }
  const password = looksLikeUrl(out) ? passwordOf(out) : '';
  if (password !== '') registerSecret(password);
  if (secret !== '') registerSecret(secret);
  return out;
}

/** The password of a URL, decoded; '' when it has none or is not a URL. */
export function passwordOf(value: string): string {
  try {
    return decodeURIComponent(new URL(value).password);
  } catch {
    return '';
  }
}

function resolveReference(ref: Reference, isPassword: boolean, options: LocationInterpolation): string {
  if (ref.kind === 'env') {
    const value = options.env[ref.name];
    if (value !== undefined && !(ref.fallback !== undefined && value === '')) return value;
    if (ref.fallback !== undefined) return ref.fallback;
    throw new FerryError(
      'FERRY_ERR_CONFIG_ENV_MISSING',
      `${options.at}: environment variable ${ref.name} is not set (referenced as \${${ref.name}})`,
      { details: { variable: ref.name } },
    );
  }
  if (!isPassword) {
    throw new FerryError(
      options.invalidCode,
      `${options.at}: \${file:...} is allowed only as the password of a database URL ` +
        `(postgres://user:\${file:/run/secrets/db}@host/db)`,
    );
  }
  const target = resolve(options.baseDir, ref.path);
  try {
    return readFileSync(target, 'utf8').replace(/(\r?\n)+$/, '');
  } catch (cause) {
    const reason = (cause as { code?: string }).code ?? 'unreadable';
    throw new FerryError(
      'FERRY_ERR_CONFIG_NOT_FOUND',
      `${options.at}: cannot read \${file:${ref.path}} (${target}): ${reason}`,
      {
        cause,
      },
    );
  }
}
