import { z } from 'zod';

/**
 * The operations API's shapes, once: handlers parse requests with them, the OpenAPI document is generated
 * from them, and the tests validate every response against that document.
 */

const runStatus = z.enum([
  'running',
  'completed',
  'completed_with_errors',
  'aborted',
  'interrupted',
  'crashed',
]);
const letterState = z.enum(['quarantined', 'failed']);
const time = z.string().describe('RFC 3339');
const counts = z
  .record(z.string(), z.number())
  .describe('Records by state: read, delivered, skipped, quarantined, failed');

export const ErrorBody = z.object({
  error: z.object({
    code: z.string().describe('A stable code from docs/errors.md'),
    message: z.string(),
  }),
});

const ConnectorSummary = z.object({
  type: z.string(),
  endpoint: z.string().nullable().describe('URL or path, credentials masked'),
  auth: z.string().describe('The auth type, or none'),
});

export const IntegrationStatus = z.object({
  name: z.string(),
  state: z.enum(['idle', 'running', 'stopping', 'replaying', 'paused']),
  schedule: z.string().nullable(),
  nextRunAt: time.nullable(),
  currentRunId: z.string().nullable(),
  webhook: z.boolean(),
  config: z.object({
    file: z.string(),
    source: ConnectorSummary,
    destination: ConnectorSummary,
    mapping: z.string(),
  }),
});

export const RunSummary = z.object({
  id: z.string(),
  integration: z.string(),
  status: runStatus,
  startedAt: time,
  endedAt: time.nullable(),
  counts,
  durationMs: z.number().nullable(),
  ratePerSec: z.number().nullable(),
  retries: z.number().nullable(),
  rateLimited: z.number().nullable(),
  deadLetters: z.number().nullable().describe('New dead letters of the run'),
});

export const RunProgress = z.object({
  integration: z.string(),
  runId: z.string(),
  counts,
  retries: z.number(),
  rateLimited: z.number(),
  ratePerSec: z.number(),
});

export const IntegrationView = z.object({
  ...IntegrationStatus.shape,
  openDeadLetters: z.number().int().describe('Dead letters no replay resolved yet'),
  live: RunProgress.nullable().describe('The run going on, as it stands'),
  recentRuns: z.array(RunSummary).describe('Newest first, at most 20'),
});

export const IntegrationList = z.object({ items: z.array(IntegrationView) });

export const RunPage = z.object({ items: z.array(RunSummary), nextCursor: z.string().nullable() });

const LatencySummary = z.object({
  count: z.number(),
  p50: z.number(),
  p90: z.number(),
  p99: z.number(),
  max: z.number(),
  mean: z.number(),
});

const Reason = z.object({
  field: z.string().optional(),
  code: z.string(),
  message: z.string(),
  at: z.string().optional().describe('Where the source read the record'),
});

export const RunReport = z
  .looseObject({
    runId: z.string(),
    integration: z.string(),
    status: runStatus,
    startedAt: time,
    endedAt: time.nullable(),
    durationMs: z.number(),
    counts,
    ratePerSec: z.number(),
    http: z.record(
      z.string(),
      z.object({
        requests: z.number(),
        byStatus: z.record(z.string(), z.number()),
        retries: z.number(),
        rateLimited: z.number(),
        latencyMs: LatencySummary,
      }),
    ),
    retries: z.number(),
    rateLimited: z.number(),
    tokenRefreshes: z.number(),
    known: z.object({ stillQuarantined: z.number(), stillFailed: z.number() }),
    deadLetters: z.object({
      total: z.number(),
      byReason: z.record(z.string(), z.number()),
      byField: z.record(z.string(), z.number()),
      records: z.array(z.object({ key: z.string(), state: letterState, reasons: z.array(Reason) })),
      omitted: z.number(),
    }),
    checkpoint: z
      .unknown()
      .describe('Where the next run resumes, as the source wrote it; null when read to its end'),
    timeline: z
      .object({
        intervalMs: z.number(),
        points: z.array(
          z.object({
            t: z.number(),
            settled: z.number(),
            deadLettered: z.number(),
            retries: z.number(),
            rateLimited: z.number(),
          }),
        ),
      })
      .optional(),
  })
  .describe('The run report, as `ferry run --report` writes it');

export const RunDetail = z.object({
  run: RunSummary,
  report: RunReport.nullable(),
  live: z.boolean().describe('The run goes on; the report is as it stands'),
});

export const DeadLetter = z.object({
  id: z.number().int(),
  integration: z.string(),
  key: z.string(),
  runId: z.string(),
  state: letterState,
  record: z.unknown().describe('The source record as read; personal data masked unless unmasked'),
  body: z.unknown().describe('The mapped body, when mapping got that far; masked likewise'),
  reasons: z.array(Reason),
  createdAt: time,
  resolvedAt: time.nullable(),
});

export const DeadLetterPage = z.object({
  items: z.array(DeadLetter),
  nextCursor: z.string().nullable(),
  total: z.number().int().describe('How many match the filter in all'),
  masked: z.boolean(),
});

export const DeadLetterDetail = z.object({ letter: DeadLetter, masked: z.boolean() });

const RecordChange = z.object({
  state: z.string(),
  attempts: z.number(),
  bodyHash: z.string().nullable(),
  reason: z.string().nullable(),
  at: time,
});

export const RecordReport = z.object({
  integration: z.string(),
  key: z.string(),
  state: z.string(),
  attempts: z.number(),
  firstMappedAt: time.nullable(),
  bodyHash: z.string().nullable().describe('Hash of the body last sent'),
  updatedAt: time,
  runs: z.array(
    z.object({
      runId: z.string(),
      status: z.string().nullable(),
      startedAt: time.nullable(),
      changes: z.array(RecordChange),
    }),
  ),
  deadLetters: z.array(DeadLetter),
});

export const RecordReports = z.object({
  items: z.array(RecordReport).describe('One per integration that has the key'),
  masked: z.boolean(),
});

export const ReplayStatus = z.object({
  id: z.string(),
  integration: z.string(),
  ids: z.array(z.number().int()),
  state: z.enum(['running', 'finished', 'failed']),
  startedAt: time,
  endedAt: time.nullable(),
  runId: z.string().nullable(),
  status: runStatus.nullable(),
  counts: counts.nullable(),
  error: z.string().nullable(),
});

export const ReplaysStarted = z.object({
  count: z.number().int().describe('Dead letters taken'),
  replays: z.array(ReplayStatus).describe('One per integration'),
});

export const PurgeResult = z.object({
  dryRun: z.boolean(),
  count: z.number().int().describe('Deleted, or that would be with dryRun'),
  ids: z.array(z.number().int()).describe('With dryRun: the first 100 ids it would delete'),
});

export const InboxList = z.object({
  available: z.boolean().describe('False when this server keeps no webhook inbox'),
  items: z.array(
    z.object({
      integration: z.string(),
      pending: z.number().int().describe('Stored, not yet processed'),
      oldestPendingAt: time.nullable(),
      received: z.number().int().describe('Stored since `since`'),
      processed: z.number().int().nullable().describe('Processed since `since`, when counted'),
      refused: z.record(z.string(), z.number()).describe('Refused deliveries since `since`, by reason'),
      since: time,
    }),
  ),
});

export const Session = z.object({
  user: z.string().nullable().describe('Who is signed in; null when the server needs no sign-in'),
  csrfToken: z
    .string()
    .describe('Send it as X-CSRF-Token with every POST, with the cookie this response sets'),
});

export const RunStarted = z.object({ integration: z.string(), runId: z.string().nullable() });

// Requests. Query values arrive as text: numbers and booleans are coerced.

const bool = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1')
  .optional();

export const NameParams = z.object({ name: z.string().min(1) });
export const IdParams = z.object({ id: z.string().min(1) });
export const LetterIdParams = z.object({ id: z.coerce.number().int().positive() });
export const KeyParams = z.object({ key: z.string().min(1) });

export const RunsQuery = z.object({
  integration: z.string().min(1).optional(),
  status: runStatus.optional(),
  limit: z.coerce.number().int().min(1).max(200).optional().describe('@default 20'),
  cursor: z.string().min(1).optional().describe('nextCursor of the previous page'),
});

const filterShape = {
  integration: z.string().min(1).optional(),
  state: letterState.optional(),
  runId: z.string().min(1).optional(),
  reason: z.string().min(1).optional().describe('A reason code'),
  field: z.string().min(1).optional(),
};

export const DeadLettersQuery = z.object({
  ...filterShape,
  includeResolved: bool.describe('Include letters a replay resolved'),
  limit: z.coerce.number().int().min(1).max(200).optional().describe('@default 50'),
  cursor: z.string().min(1).optional(),
  unmask: bool.describe('Show personal data (logged)'),
});

export const ExportQuery = z.object({
  ...filterShape,
  includeResolved: bool,
  format: z.enum(['csv', 'jsonl']),
  unmask: bool.describe('Show personal data (logged)'),
});

export const UnmaskQuery = z.object({
  integration: z.string().min(1).optional(),
  unmask: bool.describe('Show personal data (logged)'),
});

const DeadLetterFilter = z.strictObject({ ...filterShape, includeResolved: z.boolean().optional() });

export const DeadLetterSelection = z
  .strictObject({
    ids: z.array(z.number().int().positive()).min(1).max(10_000).optional(),
    filter: DeadLetterFilter.optional(),
  })
  .refine((s) => (s.ids === undefined) !== (s.filter === undefined), {
    message: 'give either ids or filter, not both',
  });

export const PurgeRequest = z
  .strictObject({
    ids: z.array(z.number().int().positive()).min(1).max(10_000).optional(),
    filter: DeadLetterFilter.optional(),
    dryRun: z.boolean().optional().describe('Say what would be deleted, delete nothing'),
  })
  .refine((s) => (s.ids === undefined) !== (s.filter === undefined), {
    message: 'give either ids or filter, not both',
  });

/** Every named schema, as the OpenAPI document's components; a schema used in several places is a $ref. */
export const components = {
  Error: ErrorBody,
  ConnectorSummary,
  IntegrationStatus,
  RunSummary,
  RunProgress,
  IntegrationView,
  IntegrationList,
  RunPage,
  Reason,
  RunReport,
  RunDetail,
  DeadLetter,
  DeadLetterPage,
  DeadLetterDetail,
  RecordReport,
  RecordReports,
  ReplayStatus,
  ReplaysStarted,
  PurgeResult,
  InboxList,
  Session,
  RunStarted,
  DeadLetterFilter,
  DeadLetterSelection,
  PurgeRequest,
};
