import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.ts';
import { flagshipConfig } from '../support/ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from '../support/flagship-mocks.ts';
import { type ServeProcess, startServeProcess } from '../support/serve-process.ts';
import { tempDirs } from '../support/temp-dirs.ts';

const NAME = 'customers-to-orders';
const dirs = tempDirs('ferry-serve-browser-');

/**
 * The real `ferry serve` process with the flagship example, its dashboard in Debian's Chromium: what a user
 * does after the demo. The source answers each page of 10 customers after 700 ms, so a run lasts seconds.
 */
describe('the dashboard of a ferry serve process', () => {
  let mocks: FlagshipMocks;
  let serve: ServeProcess;
  let browser: Browser;
  let page: Page;
  let dashboard: string;
  const problems: string[] = [];

  beforeAll(async () => {
    mocks = await startFlagshipMocks({ count: 60, seed: 5, perPage: 10, sourceFaults: { latencyMs: 700 } });
    const state = join(await dirs.make(), 'state');
    serve = await startServeProcess([flagshipConfig, '--state', state, '--port', '0'], mocks.env);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    serve?.ferry.kill('SIGTERM');
    await serve?.ferry.done;
    await mocks?.close();
    await dirs.removeAll();
  });

  it('prints the dashboard URL, and the overview shows the integration, never run', async () => {
    const printed = /"msg":"dashboard: (http:\/\/[^"]+)"/.exec(serve.ferry.stderr());
    expect(printed?.[1]).toBe(`${serve.url}/`);
    dashboard = printed![1]!;
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto(dashboard);
    await expect.poll(() => page.title()).toBe('Overview · ferry');
    const row = page.locator(`#integration-${NAME}`);
    expect(await row.innerText()).toContain('never run');
    expect(await row.locator('td').first().innerText()).toBe('idle');
  });

  it('runs now and shows the run going on, then ended, without a reload', async () => {
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL(/notice=started/);
    await page.waitForSelector('body[data-live="connected"]');
    await page.evaluate('window.notReloaded = true');
    const row = page.locator(`#integration-${NAME}`);
    const state = () => row.locator('td').first().innerText();
    // Rendered while the run reads its first pages; the end comes later, over server-sent events.
    expect(await state()).toBe('running');
    await expect.poll(state, { timeout: 30_000 }).toBe('idle');
    await expect.poll(() => row.innerText()).toMatch(/completed/);
    expect(await page.evaluate('window.notReloaded')).toBe(true);
  });

  it('opens the run: its counts and where its requests went', async () => {
    await page
      .locator(`#integration-${NAME}`)
      .getByRole('link', { name: /^run [0-9a-f]{8}$/ })
      .click();
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    expect(await page.locator('h1').innerText()).toContain(NAME);
    expect(Number((await page.locator('td[data-state="delivered"]').innerText()).replace(/,/g, ''))).toBe(
      mocks.destination.stats().distinctOrderIds,
    );
    expect(await page.getByRole('rowheader', { name: 'destination', exact: true }).count()).toBe(1);
    // favicon.ico is not the dashboard's: the server around it answers 404.
    expect(problems.filter((p) => !p.includes('404'))).toEqual([]);
  });
});
