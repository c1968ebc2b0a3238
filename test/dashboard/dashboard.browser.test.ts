import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.ts';
import { type DashboardHarness, startDashboard } from '../support/dashboard-harness.ts';

const HEALTHY = 'customers-to-orders';
const BROKEN = 'customers-to-orders-v2';
const XSS = '<img src=x onerror=alert(1)>';

/**
 * The dashboard in Debian's Chromium, over real runs against the bundled mocks. The source answers each
 * page of 10 customers after 600 ms, so a run lasts seconds and its progress can be watched.
 */
describe('the dashboard in a browser', () => {
  let h: DashboardHarness;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    browser = await launchChromium({ hostRules: 'MAP rebind.test 127.0.0.1' });
    h = await startDashboard({
      count: 60,
      seed: 3,
      perPage: 10,
      sourceFaults: { latencyMs: 600 },
      integrations: [{ name: HEALTHY }, { name: BROKEN, broken: true }],
    });
    await h.run(BROKEN);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  async function open(path: string): Promise<void> {
    context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    problems = [];
    // Runs before the page's own scripts and outside its CSP: it reports what the CSP blocked.
    await context.addInitScript({
      content: `document.addEventListener('securitypolicyviolation', (e) =>
        console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));`,
    });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await page.goto(`${h.url}${path}`);
  }
  afterEach(async () => {
    // favicon.ico is not the dashboard's: the server around it answers 404.
    expect(problems.filter((p) => !p.includes('404'))).toEqual([]);
    await context?.close();
  });

  it('shows every integration on the overview, with its last run, its rate and its dead letters', async () => {
    await open('/');
    await expect.poll(() => page.title()).toBe('Overview · ferry');
    const broken = page.locator(`#integration-${BROKEN}`);
    expect(await broken.locator('th').innerText()).toContain(BROKEN);
    expect(await broken.innerText()).toMatch(/1 run: [\d.]+ records\/s/);
    expect(await broken.getByRole('link', { name: '60', exact: true }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Run now' }).count()).toBe(2);
  });

  it('updates a run live, without a reload, from start to end', async () => {
    await open('/');
    await page.waitForSelector('body[data-live="connected"]');
    await page.evaluate('window.notReloaded = true');
    const { runId } = await h.control.runNow(HEALTHY);
    const delivered = page.locator(`[data-live-count="${runId}:delivered"]`);
    await delivered.waitFor();
    // Figures read while the run goes on: they must change in place, several times, only upwards.
    const seen: number[] = [];
    await expect
      .poll(
        async () => {
          const text = await delivered.innerText({ timeout: 100 }).catch(() => undefined);
          const n = text === undefined ? undefined : Number(text.replace(/,/g, ''));
          if (n !== undefined && n !== seen.at(-1)) seen.push(n);
          return seen.length;
        },
        { timeout: 20_000, interval: 50 },
      )
      .toBeGreaterThan(2);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    await h.control.idle(HEALTHY);
    const row = page.locator(`#integration-${HEALTHY}`);
    await expect.poll(() => row.locator('td').first().innerText(), { timeout: 10_000 }).toBe('idle');
    await expect.poll(() => row.innerText()).toContain('completed');
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    expect(await page.locator('#live-status').innerText()).toMatch(/customers-to-orders/);
  });

  it('starts a run from the keyboard alone, then charts the two runs', async () => {
    await open('/');
    const focused = async () => (await page.evaluate('document.activeElement?.id')) === `run-${HEALTHY}`;
    for (let i = 0; i < 40 && !(await focused()); i++) await page.keyboard.press('Tab');
    expect(await focused()).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForURL(/notice=started/);
    expect(await page.getByRole('status').first().innerText()).toBe(`Started a run of ${HEALTHY}.`);
    await h.control.idle(HEALTHY);
    // Two runs now: uPlot draws their records/s into the labelled box.
    await page.reload();
    const chart = page.locator(`#integration-${HEALTHY} .chart`);
    await chart.locator('canvas').waitFor();
    expect(await chart.getAttribute('aria-label')).toMatch(
      /^records per second over the last 2 runs: latest [\d.]+/,
    );
  });

  it('opens a run: counts, the chart over time, requests per endpoint, dead letters by reason', async () => {
    await open(`/runs?integration=${BROKEN}`);
    await page
      .getByRole('link', { name: /^[0-9a-f]{8}$/ })
      .first()
      .click();
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    expect(await page.locator('h1').innerText()).toContain(BROKEN);
    expect(await page.locator('td[data-state="failed"]').innerText()).not.toBe('0');
    await page.locator('.chart-wide canvas').first().waitFor();
    expect(await page.getByRole('rowheader', { name: 'destination', exact: true }).count()).toBe(1);
    const reason = page.getByRole('link', { name: 'destination_400' });
    await reason.click();
    await page.waitForURL(/\/dead-letters\?.*reason=destination_400/);
    expect(await page.locator('.summary').innerText()).toMatch(/^\d+ dead letters match/);
  });

  it('finds a record by its key, masked, and shows the personal data only when asked (logged)', async () => {
    const [letter] = await h.ledger.listDeadLetters({ integration: BROKEN, state: 'failed', limit: 1 });
    const email = String((letter!.record as { email: string }).email).trim();
    await open('/');
    await page.getByRole('link', { name: 'Records' }).click();
    await page.getByLabel('Record key').fill(letter!.key);
    await page.getByLabel('Record key').press('Enter');
    await page.waitForURL(/\/records\?key=/);
    const section = page.locator(`section.record:has(h2:text-is("${BROKEN}"))`);
    expect(await section.locator('table.history').innerText()).toMatch(/in flight[\s\S]*failed/);
    expect(await section.innerText()).toContain('shippingAddress.region');
    expect(await page.content()).not.toContain(email);
    await page.getByRole('button', { name: 'Show personal data' }).click();
    await page.waitForURL(/\/records\/unmask$/);
    expect(await page.locator('body').innerText()).toContain(email);
    expect(h.log).toContainEqual(expect.objectContaining({ action: 'unmask', record: letter!.key }));
  });

  it('replays the dead letters after the mapping is fixed and shows them delivered', async () => {
    await open(`/dead-letters?integration=${BROKEN}&state=failed`);
    const total = Number((await page.locator('.summary').innerText()).match(/^(\d+)/)![1]);
    expect(total).toBeGreaterThan(0);
    await page.getByRole('button', { name: `Replay all ${total} matching` }).click();
    await page.waitForURL(/\/dead-letters\/confirm$/);
    expect(await page.locator('#confirm-question').innerText()).toBe(
      `Replay ${total} dead letters (${total} of ${BROKEN})?`,
    );
    await h.fixMapping(BROKEN);
    const ordersOf = (key: string) =>
      h.mocks.destination.orders().filter((o) => o.orderId === `ORD-${key}`).length;
    const letters = await h.ledger.listDeadLetters({ integration: BROKEN, state: 'failed' });
    await page.getByRole('button', { name: `Replay ${total} dead letters` }).click();
    await page.waitForURL(/\/replays\?ids=/);
    const result = page.locator('[id^="replay-result-"]');
    await result.waitFor({ timeout: 30_000 });
    expect(await result.innerText()).toMatch(
      new RegExp(`^${total} delivered|^\\d+ delivered, \\d+ already delivered`),
    );
    const delivered = await result.innerText();
    const [d, s] = delivered.match(/\d+/g)!.map(Number);
    expect(d! + s!).toBe(total);
    // Each replayed customer has its one order now (the healthy integration had sent some of them before).
    for (const letter of letters) expect(ordersOf(letter.key), letter.key).toBe(1);
    expect(h.mocks.destination.stats().duplicates).toBe(0);
    await page.getByRole('link', { name: 'Back to the dead letters' }).click();
    await page.goto(`${h.url}/dead-letters?integration=${BROKEN}&state=failed`);
    expect(await page.locator('.summary').innerText()).toMatch(/^0 dead letters match/);
  });

  it("shows a partner's markup as text and never runs it", async () => {
    const [run] = await h.ledger.listRuns({ integration: BROKEN, limit: 1 });
    await h.ledger.addDeadLetter({
      integration: BROKEN,
      key: XSS,
      runId: run!.id,
      state: 'quarantined',
      record: { customer_id: XSS, first_name: XSS, email: `${XSS}@example.com` },
      body: null,
      reasons: [{ field: 'first_name', code: 'invalid', message: `name ${XSS}<script>alert(2)</script>` }],
    });
    await h.ledger.flush();
    await open(`/dead-letters?integration=${BROKEN}`);
    expect(await page.locator('table.letters').innerText()).toContain(XSS);
    expect(await page.locator('img').count()).toBe(0);
    await page.getByRole('link', { name: XSS }).click();
    await page.waitForURL(/\/records\?key=/);
    expect(await page.locator('h1').innerText()).toBe(`Record ${XSS}`);
    expect(await page.locator('img, main script').count()).toBe(0);
  });

  describe('attacks from other sites', () => {
    let attacker: Server;
    let attackerUrl: string;
    beforeAll(async () => {
      // Another origin (localhost, not 127.0.0.1) serving a page that posts to the dashboard.
      attacker = createServer((_request, response) => {
        response.setHeader('content-type', 'text/html');
        response.end(`<!doctype html><form id="f" method="post" action="${h.url}/integrations/${HEALTHY}/run">
<input name="_csrf" value="guessed"><button id="go">win a prize</button></form>
<script>fetch('${h.url}/api/integrations/${HEALTHY}/run', { method: 'POST', credentials: 'include' })
  .then((r) => { document.title = 'fetch ' + r.status; }, () => { document.title = 'fetch blocked'; });</script>`);
      });
      await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
      attackerUrl = `http://localhost:${(attacker.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((resolve) => attacker.close(resolve));
    });

    it('refuses a forged form POST and a cross-site fetch (CSRF): no run starts', async () => {
      const runs = (await h.ledger.listRuns({ integration: HEALTHY })).length;
      await open('/');
      await page.goto(attackerUrl);
      // The fetch went out without cookies (SameSite=Strict), was refused, and its answer was not readable.
      await expect.poll(() => page.title()).toBe('fetch blocked');
      await page.click('#go');
      await page.waitForURL(`${h.url}/integrations/${HEALTHY}/run`);
      expect(await page.locator('body').innerText()).toMatch(/Origin|csrf/i);
      expect((await h.ledger.listRuns({ integration: HEALTHY })).length).toBe(runs);
      expect(h.control.get(HEALTHY)?.state).toBe('idle');
      // The refused requests are the test's point, not problems of the dashboard.
      problems = [];
    });

    it('refuses a page reached by another name (DNS rebinding)', async () => {
      const port = new URL(h.url).port;
      await open('/');
      const response = await page.goto(`http://rebind.test:${port}/api/runs`);
      expect(response?.status()).toBe(403);
      expect(await page.locator('body').innerText()).toContain('not reached by that name');
      const overview = await page.goto(`http://rebind.test:${port}/`);
      expect(overview?.status()).toBe(403);
      problems = [];
    });
  });
});
