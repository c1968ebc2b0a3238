import { describe, expect, it } from 'vitest';
import { rejection } from './config-test-helpers.ts';
import { parseIntegrationConfig } from './parse-integration-config.ts';

const base = `version: 1
name: scheduled
source: { type: rest, url: "https://crm.example.com/customers" }
mapping: ./m.yaml
destination: { type: rest, url: "https://shop.example.com/orders" }
`;

function parse(schedule: string) {
  return parseIntegrationConfig(`${base}schedule:\n${schedule}`, {
    file: 'scheduled.yaml',
    baseDir: '/tmp',
    env: {},
  });
}

describe('the schedule block', () => {
  it('reads a cron expression with its time zone, jitter and what to do at start', async () => {
    const config = await parse(
      '  cron: "*/5 * * * *"\n  timezone: Europe/Berlin\n  jitter: 10s\n  on_start: wait\n',
    );
    expect(config.schedule).toEqual({
      kind: 'cron',
      cron: '*/5 * * * *',
      timezone: 'Europe/Berlin',
      jitterMs: 10_000,
      onStart: 'wait',
    });
  });

  it('reads an interval, running at start after downtime by default', async () => {
    const config = await parse('  every: 30s\n');
    expect(config.schedule).toEqual({ kind: 'every', everyMs: 30_000, jitterMs: 0, onStart: 'run' });
  });

  it('is null when the file has none', async () => {
    const config = await parseIntegrationConfig(base, { file: 'x.yaml', baseDir: '/tmp', env: {} });
    expect(config.schedule).toBeNull();
  });

  it.each([
    ['  every: 1s\n  cron: "* * * * *"\n', 'give either cron or every'],
    ['  jitter: 1s\n', 'give either cron or every'],
    ['  cron: "61 * * * *"\n', 'schedule.cron'],
    ['  cron: "0 3 * * *"\n  timezone: Mars/Olympus\n', 'unknown time zone "Mars/Olympus"'],
    ['  every: 30s\n  timezone: UTC\n', 'timezone applies to a cron expression'],
    ['  every: 500ms\n', 'at least 1s'],
    ['  every: 1s\n  on_start: later\n', 'schedule.on_start'],
  ])('refuses %j, naming the key and line', async (schedule, message) => {
    const error = await rejection(parse(schedule));
    expect(error.code).toBe('FERRY_ERR_CONFIG_INVALID');
    expect(error.message).toContain(message);
    expect(error.message).toMatch(/scheduled\.yaml:\d+:\d+/);
  });
});
