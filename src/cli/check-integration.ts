import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { STATUS_CODES } from 'node:http';
import { authInterceptor } from '../auth/auth-interceptor.ts';
import { createAuthStrategy } from '../auth/create-auth-strategy.ts';
import { originOf } from '../auth/origin.ts';
import type { RefreshableAuthStrategy } from '../auth/refreshable-auth-strategy.ts';
import type { AuthConfig } from '../config/auth-schema.ts';
import type { IntegrationConfig } from '../config/integration-schema.ts';
import type { TimeoutsConfig } from '../config/timeouts-schema.ts';
import { fillUrlTemplate } from '../connectors/lookup-match.ts';
import { createRestSource } from '../connectors/rest-source.ts';
import { type ErrorCode, errorCodes } from '../core/error-codes.ts';
import { FerryError } from '../core/errors.ts';
import type { HttpRequest, HttpResponse, Send } from '../core/http-types.ts';
import { redactSecrets } from '../core/secret-registry.ts';
import { bodySnippet } from '../http/body-snippet.ts';
import { composeSend } from '../http/compose.ts';
import { createHttpTransport, type HttpTransport } from '../http/http-transport.ts';
import { redirectInterceptor } from '../http/redirect-interceptor.ts';
import { withCredentialHint } from './credential-hint.ts';
import { ExitCode } from './exit-codes.ts';

/** One line of the checklist `ferry check` prints. */
export interface CheckItem {
  /** What was tried: "source token", "source page", "destination token", "destination". */
  readonly name: string;
  readonly ok: boolean;
  /** What was found, or why it failed (the server's reason; never a secret). */
  readonly detail: string;
  readonly code?: ErrorCode;
}

/** What `ferry check` found; `ok` only when every item is. */
export interface CheckReport {
  readonly ok: boolean;
  readonly items: readonly CheckItem[];
}

/** A side's HTTP stack for one-off checks: no retry, breaker or limiter, so a failure is reported at once. */
interface CheckSide {
  readonly send: Send;
  readonly auth: RefreshableAuthStrategy;
  close(): Promise<void>;
}

function openSide(
  config: IntegrationConfig,
  side: { auth: AuthConfig; timeouts: TimeoutsConfig; maxResponseBytes: number; origins: string[] },
  ca: string | undefined,
): CheckSide {
  const transport: HttpTransport = createHttpTransport({
    connectTimeoutMs: side.timeouts.connectMs,
    headersTimeoutMs: side.timeouts.headersMs,
    bodyTimeoutMs: side.timeouts.bodyMs,
    maxResponseBytes: side.maxResponseBytes,
    connections: 1,
    ...(ca ? { ca } : {}),
  });
  const auth = createAuthStrategy(side.auth, {
    allowedOrigins: side.origins,
    allowInsecureHttp: config.options.dangerouslyAllowInsecureHttp,
  });
  return {
    send: composeSend(transport, [redirectInterceptor(), authInterceptor(auth)]),
    auth,
    close: async () => {
      await Promise.allSettled([transport.close(), auth.close?.()]);
    },
  };
}

function failure(name: string, error: unknown, config: IntegrationConfig): CheckItem {
  // A refused credential names what to check, as a run's error does.
  const explained = error instanceof FerryError ? withCredentialHint(error, config) : error;
  const message = explained instanceof Error ? explained.message : String(explained);
  const code = error instanceof FerryError ? error.code : undefined;
  return { name, ok: false, detail: redactSecrets(message), ...(code ? { code } : {}) };
}

/** Fetches a token when the strategy uses one, so a refused client is named before any data request. */
async function checkToken(
  config: IntegrationConfig,
  name: string,
  auth: AuthConfig,
  side: CheckSide,
  url: string,
): Promise<CheckItem | null> {
  if (auth.type !== 'oauth2_client_credentials' && auth.type !== 'jwt_bearer') return null;
  const probe: HttpRequest = { method: 'GET', url, headers: {}, endpoint: name };
  try {
    const authorized = await side.auth.authorize(probe);
    const scheme = authorized.headers.authorization?.split(' ')[0] ?? 'a';
    const from = auth.type === 'oauth2_client_credentials' ? `fetched from ${auth.tokenUrl}` : 'signed';
    return { name, ok: true, detail: `${scheme} token ${from}` };
  } catch (error) {
    return failure(name, error, config);
  }
}

function statusText(response: HttpResponse): string {
  const body = bodySnippet(response.body);
  const reason = STATUS_CODES[response.status] ?? 'Unknown Status';
  return `${response.status} ${reason}${body ? `: ${body}` : ''}`;
}

async function checkSourcePage(config: IntegrationConfig, side: CheckSide): Promise<CheckItem> {
  const name = 'source page';
  const source = createRestSource({
    url: config.source.url,
    send: side.send,
    recordsPath: config.source.recordsPath,
    pagination: config.source.pagination,
    headers: config.source.headers,
    endpoint: 'source',
  });
  const controller = new AbortController();
  try {
    for await (const page of source.readPages({ from: null, signal: controller.signal })) {
      const count = page.records.length;
      const parts = [
        `read page 1 of ${redactSecrets(page.url)}: ${count} record${count === 1 ? '' : 's'}`,
        page.next ? 'a next page exists' : 'no next page',
        ...(page.totalRecords === undefined ? [] : [`${page.totalRecords} announced in all`]),
      ];
      return { name, ok: true, detail: parts.join(', ') };
    }
    return { name, ok: false, detail: 'the source yielded no page' };
  } catch (error) {
    return failure(name, error, config);
  } finally {
    controller.abort();
    await source.close();
  }
}

/**
 * Asks the destination something harmless with the credentials a run would use: the lookup of a key that
 * cannot exist when one is configured (404 or 200 both prove it answers), else OPTIONS on the send URL.
 * Only 401/403 and failures to answer count as refused or unreachable; 405 and other 4xx prove reachability.
 */
async function checkDestination(config: IntegrationConfig, side: CheckSide): Promise<CheckItem> {
  const name = 'destination';
  const lookup = config.destination.lookup;
  const probe = `ferry-check-${randomUUID()}`;
  // Every placeholder ({key} or a body field like {orderId}) gets the same key that cannot exist.
  const fields = lookup ? [...lookup.url.matchAll(/\{([A-Za-z0-9_.-]+)\}/g)].map((m) => [m[1]!, probe]) : [];
  const request: HttpRequest = lookup
    ? {
        method: 'GET',
        url: fillUrlTemplate(lookup.url, probe, Object.fromEntries(fields)),
        headers: { accept: 'application/json' },
        endpoint: 'destination_lookup',
      }
    : { method: 'OPTIONS', url: config.destination.url, headers: {}, endpoint: 'destination' };
  const what = `${request.method} ${redactSecrets(request.url)}${lookup ? ' (lookup of a key that does not exist)' : ''}`;
  try {
    const response = await side.send(request);
    if (response.status === 401 || response.status === 403) {
      return {
        name,
        ok: false,
        code: 'FERRY_ERR_HTTP_UNAUTHORIZED',
        detail: `${what}: credentials refused: ${statusText(response)}`,
      };
    }
    if (response.status >= 500) {
      return {
        name,
        ok: false,
        code: 'FERRY_ERR_HTTP_TRANSIENT',
        detail: `${what}: ${statusText(response)}`,
      };
    }
    const answered = `${what}: answered ${response.status} ${STATUS_CODES[response.status] ?? ''}`.trim();
    // Many APIs answer OPTIONS without looking at the path or the credentials (CORS preflights).
    const caveat = lookup
      ? ''
      : ' (the server answers; OPTIONS proves neither the path nor the credentials: destination.lookup makes this check stronger)';
    return { name, ok: true, detail: `${answered}${caveat}` };
  } catch (error) {
    return failure(name, error, config);
  }
}

/**
 * Tries each side's credentials and reachability without sending a record: a token where the auth uses one,
 * one source page (records, next page, announced total), and a harmless destination request.
 */
export async function checkIntegration(config: IntegrationConfig): Promise<CheckReport> {
  const ca = config.options.caFile ? await readFile(config.options.caFile, 'utf8') : undefined;
  const { source: src, destination: dest } = config;
  const source = openSide(
    config,
    {
      auth: src.auth,
      timeouts: src.timeouts,
      maxResponseBytes: src.maxResponseBytes,
      origins: [originOf(src.url)],
    },
    ca,
  );
  const destination = openSide(
    config,
    {
      auth: dest.auth,
      timeouts: dest.timeouts,
      maxResponseBytes: dest.maxResponseBytes,
      origins: [originOf(dest.url), ...(dest.lookup ? [originOf(dest.lookup.url)] : [])],
    },
    ca,
  );
  const items: CheckItem[] = [];
  try {
    const sourceToken = await checkToken(config, 'source token', src.auth, source, src.url);
    if (sourceToken) items.push(sourceToken);
    if (sourceToken?.ok !== false) items.push(await checkSourcePage(config, source));
    const destToken = await checkToken(config, 'destination token', dest.auth, destination, dest.url);
    if (destToken) items.push(destToken);
    if (destToken?.ok !== false) items.push(await checkDestination(config, destination));
  } finally {
    await Promise.all([source.close(), destination.close()]);
  }
  return { ok: items.every((item) => item.ok), items };
}

/** 0 when every check passed; 2 when the first failure is a configuration problem; else 3 (refused or down). */
export function checkExitCode(report: CheckReport): number {
  const failed = report.items.find((item) => !item.ok);
  if (!failed) return ExitCode.ok;
  return failed.code && errorCodes[failed.code].kind === 'config' ? ExitCode.usage : ExitCode.aborted;
}
