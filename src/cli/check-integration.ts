import { createAuthStrategy } from '../auth/create-auth-strategy.ts';
import type { SinkConnector, SourceConnector } from '../core/connector-types.ts';
import { type ErrorCode, errorCodes } from '../core/error-codes.ts';
import { FerryError } from '../core/errors.ts';
import { redactSecrets } from '../core/secret-registry.ts';
import { authOf, urlOf } from '../integration/connector-facts.ts';
import type { ConnectorConfig, IntegrationConfig } from '../integration/integration-schema.ts';
import { type BuiltIntegration, buildIntegration } from '../runtime/build-integration.ts';
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

function failure(name: string, error: unknown, config: IntegrationConfig): CheckItem {
  // A refused credential names what to check, as a run's error does.
  const explained = error instanceof FerryError ? withCredentialHint(error, config) : error;
  const message = explained instanceof Error ? explained.message : String(explained);
  const code = error instanceof FerryError ? error.code : undefined;
  return { name, ok: false, detail: redactSecrets(message), ...(code ? { code } : {}) };
}

/** Fetches a token when the side's auth uses one, so a refused client is named before any data request. */
async function checkToken(
  config: IntegrationConfig,
  name: string,
  side: ConnectorConfig,
): Promise<CheckItem | null> {
  const auth = authOf(side);
  if (auth?.type !== 'oauth2_client_credentials' && auth?.type !== 'jwt_bearer') return null;
  // The token does not depend on the request it is for: any origin the strategy may credential will do.
  const origin = 'https://ferry-check.invalid';
  const strategy = createAuthStrategy(auth, {
    allowedOrigins: [origin],
    allowInsecureHttp: config.options.dangerouslyAllowInsecureHttp,
  });
  try {
    const authorized = await strategy.authorize({ method: 'GET', url: origin, headers: {}, endpoint: name });
    const scheme = authorized.headers.authorization?.split(' ')[0] ?? 'a';
    const from = auth.type === 'oauth2_client_credentials' ? `fetched from ${auth.tokenUrl}` : 'signed';
    return { name, ok: true, detail: `${scheme} token ${from}` };
  } catch (error) {
    return failure(name, error, config);
  } finally {
    await strategy.close?.();
  }
}

async function checkSourcePage(config: IntegrationConfig, source: SourceConnector): Promise<CheckItem> {
  const name = 'source page';
  const controller = new AbortController();
  try {
    for await (const page of source.readPages({ from: null, signal: controller.signal })) {
      const count = page.records.length;
      const where = urlOf(config.source);
      const parts = [
        `read ${page.label ?? 'the first page'}${where ? ` of ${redactSecrets(where)}` : ''}: ${count} record${count === 1 ? '' : 's'}`,
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
  }
}

async function checkDestination(config: IntegrationConfig, sink: SinkConnector): Promise<CheckItem> {
  const name = 'destination';
  if (!sink.probe) {
    return { name, ok: true, detail: `type ${config.destination.type} offers no harmless request to try` };
  }
  try {
    return { name, ...(await sink.probe()) };
  } catch (error) {
    return failure(name, error, config);
  }
}

/**
 * Tries each side's credentials and reachability without sending a record: a token where the auth uses one,
 * the source's first page (records, next page, announced total), and the destination's harmless request.
 * Each request is tried once, so a failure is reported at once.
 */
export async function checkIntegration(config: IntegrationConfig): Promise<CheckReport> {
  const items: CheckItem[] = [];
  let built: BuiltIntegration;
  try {
    built = await buildIntegration(config, { tryOnce: true });
  } catch (error) {
    return { ok: false, items: [failure('build', error, config)] };
  }
  try {
    const sourceToken = await checkToken(config, 'source token', config.source);
    if (sourceToken) items.push(sourceToken);
    if (sourceToken?.ok !== false) items.push(await checkSourcePage(config, built.source));
    const destToken = await checkToken(config, 'destination token', config.destination);
    if (destToken) items.push(destToken);
    if (destToken?.ok !== false) items.push(await checkDestination(config, built.sink));
  } finally {
    await built.close();
  }
  return { ok: items.every((item) => item.ok), items };
}

/** 0 when every check passed; 2 when the first failure is a configuration problem; else 3 (refused or down). */
export function checkExitCode(report: CheckReport): number {
  const failed = report.items.find((item) => !item.ok);
  if (!failed) return ExitCode.ok;
  return failed.code && errorCodes[failed.code].kind === 'config' ? ExitCode.usage : ExitCode.aborted;
}
