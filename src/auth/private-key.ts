import { registerSecret } from '../core/secret-registry.ts';

/**
 * Registers a PEM private key for redaction: the whole PEM, its base64 body on one line, and each body
 * line, so a key that leaks in pieces (a log wrapping it, a parser quoting one line) is still masked.
 */
export function registerPrivateKey(pem: string): void {
  registerSecret(pem);
  const lines = pem
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('-----'));
  registerSecret(lines.join(''));
  for (const line of lines) if (line.length >= 16) registerSecret(line);
}
