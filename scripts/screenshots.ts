// `npm run screenshots`: PNGs of each dashboard page from a demo state, for docs/dashboard.md. It starts
// the bundled mocks and the in-process dashboard harness (real runs, a real ledger), runs a healthy and
// a broken integration, then photographs the pages in Debian's Chromium at a laptop's width.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../test/support/browser.ts';
import { startDashboard } from '../test/support/dashboard-harness.ts';

const out = fileURLToPath(new URL('../docs/images/', import.meta.url));
await mkdir(out, { recursive: true });

const harness = await startDashboard({
  count: 300,
  seed: 11,
  perPage: 50,
  integrations: [{ name: 'customers-to-orders' }, { name: 'customers-to-orders-v2', broken: true }],
  destinationFaults: { errorRate: 0.03 },
});
const browser = await launchChromium();
try {
  // The broken one first: the healthy one then delivers the same orders, as a fixed v2 will find them.
  const brokenRun = await harness.run('customers-to-orders-v2');
  await harness.run('customers-to-orders');
  await harness.run('customers-to-orders');
  const [letter] = await harness.ledger.listDeadLetters({
    integration: 'customers-to-orders-v2',
    state: 'failed',
    limit: 1,
  });

  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  const shoot = async (name: string, path: string, fullPage = true) => {
    await page.goto(`${harness.url}${path}`);
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: `${out}dashboard-${name}.png`, fullPage });
    process.stderr.write(`wrote docs/images/dashboard-${name}.png\n`);
  };
  await shoot('overview', '/');
  await shoot('run', `/runs/${brokenRun}`);
  await shoot('record', `/records?key=${encodeURIComponent(letter!.key)}&integration=customers-to-orders-v2`);
  await shoot('dead-letters', '/dead-letters?integration=customers-to-orders-v2&state=failed', false);

  await page.click('#replay-all');
  await page.waitForSelector('#confirm');
  await page.screenshot({ path: `${out}dashboard-confirm.png`, fullPage: false });
  process.stderr.write('wrote docs/images/dashboard-confirm.png\n');
  await harness.fixMapping('customers-to-orders-v2');
  await page.click('#confirm');
  await page.waitForSelector('[id^="replay-result-"]');
  await page.screenshot({ path: `${out}dashboard-replay.png`, fullPage: true });
  process.stderr.write('wrote docs/images/dashboard-replay.png\n');
} finally {
  await browser.close();
  await harness.close();
}
