import { z } from 'zod';
import type { HttpResponse, ResponseAction } from '../../core/http-types.ts';
import { decodeBody } from './decode-body.ts';
import {
  type FaultDetail,
  type FaultDetailPaths,
  readFaultDetail,
  readSoapResponse,
  type SoapFault,
} from './soap-envelope.ts';
import type { SoapVersion } from './wsdl-model.ts';

/** What ferry does with a fault. */
export const FAULT_ACTIONS = [
  'reject',
  'dead_letter',
  'retry',
  'back_off',
  'reconcile',
  'credentials_refused',
  'fail_run',
] as const;
/** One of FAULT_ACTIONS. */
export type FaultAction = (typeof FAULT_ACTIONS)[number];

/** A `fault_rules` entry: a code and what it means. */
export const faultRuleSchema = z
  .strictObject({
    code: z
      .string()
      .min(1)
      .describe(
        "The code to match: the service's own code in the fault detail (`VALIDATION_FAILED`), or the SOAP fault code or subcode by local name (`Client`, `Server`, `Sender`, `Receiver`).",
      ),
    action: z
      .enum(FAULT_ACTIONS)
      .describe(
        'reject: the service refused the record and stored nothing (dead-lettered with its field errors, refused); dead_letter: the record failed but may be stored (looked up before any resend); retry: resent with backoff after a lookup says it is not stored; back_off: the service was too busy to take it (nothing stored), resent after a wait like a 429; reconcile: the record exists already, the lookup compares it; credentials_refused: the run stops (exit 3); fail_run: the run stops, every record would fail the same way.',
      ),
  })
  .describe('What a SOAP fault with this code means.');

/** A parsed fault rule. */
export type FaultRule = z.output<typeof faultRuleSchema>;

/** Defaults tried after the user's rules: by the fault code both SOAP versions define. */
const DEFAULT_RULES: readonly FaultRule[] = [
  { code: 'Client', action: 'reject' },
  { code: 'Sender', action: 'reject' },
  { code: 'Server', action: 'retry' },
  { code: 'Receiver', action: 'retry' },
  { code: 'VersionMismatch', action: 'fail_run' },
  { code: 'MustUnderstand', action: 'fail_run' },
  { code: 'DataEncodingUnknown', action: 'fail_run' },
];

/** A fault with its detail read and the action its rules give it. */
export interface JudgedFault {
  readonly fault: SoapFault;
  readonly detail: FaultDetail;
  readonly action: FaultAction;
  /** `SOAP fault VALIDATION_FAILED (Client): the order is not valid`: for reasons and logs. */
  readonly summary: string;
}

/** Decides the action for a fault: the user's rules first, then the SOAP defaults; unknown codes retry. */
export function judgeFault(
  fault: SoapFault,
  rules: readonly FaultRule[],
  paths: FaultDetailPaths,
): JudgedFault {
  const detail = readFaultDetail(fault.detail, paths);
  const codes = [detail.code, fault.code, ...fault.subcodes].filter((c): c is string => !!c);
  const rule = [...rules, ...DEFAULT_RULES].find((r) => codes.includes(r.code));
  const reason = fault.reason || detail.message || '';
  const code = detail.code ? `${detail.code} (${fault.code})` : fault.code || 'without a code';
  return {
    fault,
    detail,
    action: rule?.action ?? 'retry',
    summary: `SOAP fault ${code}${reason ? `: ${reason}` : ''}`,
  };
}

/** How each fault action reads to ferry's HTTP stack (retry layer, breaker, limiter). */
const STACK_ACTIONS: Readonly<Record<FaultAction, ResponseAction['type']>> = {
  reject: 'reject',
  dead_letter: 'reject',
  // A retry may repeat a write the service applied: the retry layer asks the sink's lookup first.
  retry: 'retry',
  // Nothing was stored, as after a 429: resent after a wait, without a lookup.
  back_off: 'rate_limited',
  reconcile: 'conflict',
  credentials_refused: 'fail',
  fail_run: 'fail',
};

/**
 * The protocol's reading of a response for ferry's classify layer: a SOAP fault, in any status, gets the
 * action its rules give; anything else is left to the status defaults (503 + Retry-After, 5xx retried).
 */
export function soapFaultClassifier(
  version: SoapVersion,
  rules: readonly FaultRule[],
  paths: FaultDetailPaths,
): (response: HttpResponse) => ResponseAction | undefined {
  return (response) => {
    // A fault is a short document; a large body is a result, not worth parsing twice.
    if (response.body.length > 1_048_576) return undefined;
    const read = readSoapResponse(decodeBody(response), version, response.headers['content-type']);
    if (read.kind !== 'fault') return undefined;
    const judged = judgeFault(read.fault, rules, paths);
    const type = STACK_ACTIONS[judged.action];
    if (type === 'success') return { type };
    return { type, reason: judged.summary } as ResponseAction;
  };
}
