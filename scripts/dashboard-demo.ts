// `npm run dashboard`: the dashboard on 127.0.0.1 over a demo state, until Ctrl-C, for trying it and for
// developing it before `ferry serve` hosts it. The bundled mocks, two integrations (one with a broken
// mapping), a run of each; the URL is printed, and how to fix the broken mapping.
import { startDashboard } from '../test/support/dashboard-harness.ts';

const harness = await startDashboard({
  count: 300,
  seed: 11,
  perPage: 25,
  sourceFaults: { latencyMs: 150 },
  destinationFaults: { errorRate: 0.03 },
  integrations: [{ name: 'customers-to-orders-v2', broken: true }, { name: 'customers-to-orders' }],
});
process.stderr.write(
  `dashboard: ${harness.url} (a run of each integration starts now; watch them there)\n` +
    `the broken mapping: ${harness.dir}/customers-to-orders-v2.mapping.yaml (region is ""); ` +
    'send SIGUSR2 to this process to fix it, then replay its dead letters on the page\n',
);
const started = Date.now();
await harness.run('customers-to-orders-v2');
await harness.run('customers-to-orders');
process.stderr.write(`both runs ended after ${Math.round((Date.now() - started) / 1000)} s\n`);
process.on('SIGUSR2', () => {
  void harness.fixMapping('customers-to-orders-v2').then(() => process.stderr.write('mapping fixed\n'));
});
const stop = () => {
  void harness.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
