import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { insecureUrlReason } from '../../config/url-policy.ts';
import { FerryError } from '../../core/errors.ts';
import { redactSecrets } from '../../core/secret-registry.ts';
import type { ConnectorContext, HttpStackOptions } from '../spec.ts';
import { decodeBody } from './decode-body.ts';
import { readWsdl, WsdlError } from './read-wsdl.ts';
import type { WsdlModel } from './wsdl-model.ts';

// WSDLs of large services (an ERP's whole API in one document) run to megabytes.
const MAX_WSDL_BYTES = 20 * 1024 * 1024;

/** Where a `wsdl:` option points: an http(s) URL, or a file relative to the integration file. */
export function wsdlLocation(wsdl: string, baseDir: string): URL {
  if (/^https?:\/\//i.test(wsdl)) return new URL(wsdl);
  if (/^file:/i.test(wsdl)) return new URL(wsdl);
  return pathToFileURL(isAbsolute(wsdl) ? wsdl : resolve(baseDir, wsdl));
}

/** Refuses plain http:// to a non-loopback host unless the integration opted in. */
export function checkInsecure(url: string, option: string, context: ConnectorContext): void {
  if (context.allowInsecureHttp) return;
  const why = insecureUrlReason(url);
  if (why)
    throw new FerryError(
      'FERRY_ERR_CONFIG_INSECURE_URL',
      `${option} ${why} (or set options.dangerously_allow_insecure_http)`,
      { details: { option } },
    );
}

/**
 * Reads the WSDL (and what it imports) a SOAP connector is driven by: files from disk, URLs through a
 * stack of ferry's HTTP layer built from `http` (retries, timeouts, TLS, size limits; credentials only
 * to `http.origins`), which the runtime closes with the others. Every failure is FERRY_ERR_CONFIG_INVALID naming the option and the document.
 */
export async function loadWsdl(
  wsdl: string,
  option: string,
  context: ConnectorContext,
  http: Omit<HttpStackOptions, 'endpoint' | 'maxResponseBytes' | 'connections'>,
): Promise<WsdlModel> {
  const location = wsdlLocation(wsdl, context.baseDir);
  if (location.protocol !== 'file:') checkInsecure(location.href, option, context);
  let stack: ReturnType<ConnectorContext['http']> | undefined;
  const fetchText = async (url: URL): Promise<string> => {
    if (url.protocol === 'file:') {
      const path = fileURLToPath(url);
      if ((await stat(path)).size > MAX_WSDL_BYTES) throw new Error(`larger than ${MAX_WSDL_BYTES} bytes`);
      return readFile(path, 'utf8');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new Error(`${url.protocol} is not http(s)`);
    checkInsecure(url.href, option, context);
    stack ??= context.http({
      ...http,
      endpoint: 'wsdl',
      maxResponseBytes: MAX_WSDL_BYTES,
      connections: 1,
    });
    const response = await stack.send({
      method: 'GET',
      url: url.href,
      headers: { accept: 'text/xml, application/xml, application/wsdl+xml' },
      endpoint: 'wsdl',
    });
    if (response.status < 200 || response.status > 299) throw new Error(`${response.status} from the server`);
    return decodeBody(response);
  };
  try {
    return await readWsdl(location, fetchText);
  } catch (error) {
    if (error instanceof WsdlError || (error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new FerryError(
        'FERRY_ERR_CONFIG_INVALID',
        `${option}: ${redactSecrets((error as Error).message)}`,
        {
          details: { option },
          cause: error,
        },
      );
    if (error instanceof FerryError) {
      throw new FerryError(
        error.kind === 'config' ? error.code : 'FERRY_ERR_CONFIG_INVALID',
        `${option}: reading the WSDL ${redactSecrets(location.href)}: ${error.message}`,
        { details: { option }, cause: error },
      );
    }
    throw error;
  }
}
