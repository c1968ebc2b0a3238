import { lookupFirstFlagship } from './lookup-first-flagship.ts';
import { medianBy } from './median.ts';
import { startErpMockProcesses, startMockProcesses } from './mock-processes.ts';
import { runFerry } from './run-ferry.ts';

/** One flagship run of scenario 7. */
export interface FlagshipRun {
  /** Records settled per second of the report's duration. */
  recordsPerSec: number;
  /** Orders the destination accepted (2xx on the send endpoint) per second. */
  ordersPerSec: number;
  durationMs: number;
  delivered: number;
}

/** Scenario 7's figures: the SOAP flagship next to the REST one, same customers, each its median run. */
export interface SoapResult {
  customers: number;
  rounds: number;
  soap: FlagshipRun;
  rest: FlagshipRun;
  /** SOAP records/s over REST records/s, medians. */
  soapOverRest: number;
  all: { soap: FlagshipRun[]; rest: FlagshipRun[] };
  /** Orders the ERP stored twice in any run: must be 0. */
  erpDuplicates: number;
}

const SOAP_CONFIG = 'examples/customers-to-soap-orders.yaml';

/**
 * Scenario 7: the second flagship (customers to CreateOrder in the SOAP ERP mock: WS-Security digest, the
 * WSDL's schema checked per record, an envelope written and a SOAP answer parsed per order) next to the
 * first (customers to the REST order API), N customers each, no faults, no latency, fresh ledgers: both
 * look each order up before creating it, as a new ledger does where the destination is not said to refuse
 * duplicates (the REST flagship as shipped says its API does: it runs here without that line, so the two
 * make the same requests). The mocks run in processes of their own.
 */
export async function soapScenario(customers: number, rounds: number): Promise<SoapResult> {
  const all: SoapResult['all'] = { soap: [], rest: [] };
  let erpDuplicates = 0;
  const erp = await startErpMockProcesses({ count: customers });
  try {
    for (let round = 0; round < rounds; round++) {
      const run = await runFerry({ env: erp.env, config: SOAP_CONFIG, perPage: 1000 });
      const stats = await erp.erpStats();
      erpDuplicates += stats.duplicates;
      all.soap.push(figures(run));
      await erp.resetErp();
    }
  } finally {
    await erp.stop();
  }
  const restConfig = await lookupFirstFlagship();
  const rest = await startMockProcesses({ count: customers });
  try {
    for (let round = 0; round < rounds; round++) {
      all.rest.push(figures(await runFerry({ env: rest.env, config: restConfig, perPage: 1000 })));
      await rest.resetDestination();
    }
  } finally {
    await rest.stop();
  }
  const soap = medianBy(all.soap, (run) => run.recordsPerSec);
  const restMedian = medianBy(all.rest, (run) => run.recordsPerSec);
  return {
    customers,
    rounds,
    soap,
    rest: restMedian,
    soapOverRest: soap.recordsPerSec / restMedian.recordsPerSec,
    all,
    erpDuplicates,
  };
}

function figures(run: Awaited<ReturnType<typeof runFerry>>): FlagshipRun {
  if (run.exitCode !== 0 && run.exitCode !== 1)
    throw new Error(`ferry run ended with exit ${String(run.exitCode)} (${run.report.status})`);
  return {
    recordsPerSec: run.recordsPerSec,
    ordersPerSec: run.postsPerSec,
    durationMs: run.report.durationMs,
    delivered: run.report.counts.delivered,
  };
}
