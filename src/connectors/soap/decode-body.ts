import type { HttpResponse } from '../../core/http-types.ts';

/**
 * A response body as text, in the charset the Content-Type or the XML declaration names (legacy services
 * still answer in ISO-8859-1); UTF-8 when neither says, or when the name is one TextDecoder does not know.
 */
export function decodeBody(response: HttpResponse): string {
  const fromHeader = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(response.headers['content-type'] ?? '')?.[1];
  const head = response.body.subarray(0, 200).toString('latin1');
  const fromDeclaration = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([^"']+)["']/i.exec(head)?.[1];
  const charset = fromHeader ?? fromDeclaration ?? 'utf-8';
  try {
    return new TextDecoder(charset).decode(response.body);
  } catch {
    return new TextDecoder('utf-8').decode(response.body);
  }
}
