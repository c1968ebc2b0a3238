import { Cron } from 'croner';
import { z } from 'zod';
import { duration } from '../config/field-types.ts';

/** What `ferry serve` does about an integration's schedule when it starts. */
export type OnStart = 'run' | 'wait';

/** When `ferry serve` runs an integration: a cron expression in a time zone, or a fixed interval. */
export type ScheduleConfig =
  | {
      readonly kind: 'cron';
      readonly cron: string;
      /** An IANA time zone (`Europe/Berlin`); null for the server's own. */
      readonly timezone: string | null;
      readonly jitterMs: number;
      readonly onStart: OnStart;
    }
  | {
      readonly kind: 'every';
      readonly everyMs: number;
      readonly jitterMs: number;
      readonly onStart: OnStart;
    };

/** The smallest interval accepted: a run every second already keeps a source busy. */
const MIN_EVERY_MS = 1000;

/** Why a cron expression or time zone is refused, in croner's words; undefined when it is fine. */
export function cronProblem(cron: string, timezone: string | undefined): string | undefined {
  try {
    // Paused: this only parses; nothing is scheduled.
    const job = new Cron(cron, { paused: true, ...(timezone === undefined ? {} : { timezone }) });
    const next = job.nextRun();
    job.stop();
    return next === null ? 'never fires' : undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The `schedule` block: when `ferry serve` runs the integration; `ferry run` ignores it and runs once. */
export const scheduleSchema = z
  .strictObject({
    cron: z
      .string()
      .min(1)
      .optional()
      .describe(
        'A cron expression: five fields (minute hour day-of-month month day-of-week), or six with seconds first; `@hourly`, `@daily` and the other nicknames too. Exclusive with `every`.',
      ),
    timezone: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The IANA time zone the cron expression is read in (`Europe/Berlin`); default: the server's.",
      ),
    every: duration()
      .optional()
      .describe('A fixed interval between runs (`30s`, `5m`), at least 1s. Exclusive with `cron`.'),
    jitter: duration()
      .default(0)
      .describe(
        'Each run starts up to this long after its tick, at random, so that many integrations on one schedule do not all start at once.',
      ),
    on_start: z
      .enum(['run', 'wait'])
      .default('run')
      .describe(
        'What `ferry serve` does when it starts: `run` once at once when a tick fell while it was down (or the integration never ran), or `wait` for the next tick. A run that a stop or a crash interrupted is resumed at start either way.',
      ),
  })
  .superRefine((value, ctx) => {
    if ((value.cron === undefined) === (value.every === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give either cron or every (exactly one of them)', path: [] });
      return;
    }
    if (value.every !== undefined && value.every < MIN_EVERY_MS) {
      ctx.addIssue({ code: 'custom', message: 'expected an interval of at least 1s', path: ['every'] });
    }
    if (value.timezone !== undefined) {
      if (value.cron === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: 'timezone applies to a cron expression; an interval needs none',
          path: ['timezone'],
        });
      } else if (!isTimeZone(value.timezone)) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown time zone "${value.timezone}" (expected an IANA name such as Europe/Berlin or UTC)`,
          path: ['timezone'],
        });
        return;
      }
    }
    if (value.cron !== undefined) {
      const problem = cronProblem(value.cron, value.timezone);
      if (problem) {
        ctx.addIssue({ code: 'custom', message: `not a cron expression: ${problem}`, path: ['cron'] });
      }
    }
  })
  .optional()
  .describe(
    'When `ferry serve` runs this integration: `cron` (with an optional `timezone`) or `every`. Without it, serve runs the integration when asked (and, for a webhook source, when events arrive). `ferry run` ignores it and runs once.',
  );

/** The parsed block as code uses it. */
export function toScheduleConfig(parsed: z.output<typeof scheduleSchema>): ScheduleConfig | null {
  if (parsed === undefined) return null;
  const common = { jitterMs: parsed.jitter, onStart: parsed.on_start };
  if (parsed.cron !== undefined) {
    return { kind: 'cron', cron: parsed.cron, timezone: parsed.timezone ?? null, ...common };
  }
  return { kind: 'every', everyMs: parsed.every ?? MIN_EVERY_MS, ...common };
}
