import { describe, expect, it } from 'vitest';
import { createCustomerEventStream, customerVersion, eventBody } from './customer-events.ts';
import { isQuarantined } from './customer-rules.ts';
import { parseRate } from './event-sender.ts';

describe('the customer event stream', () => {
  it('creates every customer once, then updates them, with unique ids and increasing timestamps', () => {
    let clock = 1_700_000_000_000;
    const next = createCustomerEventStream({ seed: 9, customers: 20, now: () => clock });
    const events = Array.from({ length: 60 }, () => next());
    const created = events.filter((e) => e.type === 'customer.created');
    expect(created.map((e) => e.index)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(new Set(events.map((e) => e.id)).size).toBe(60);
    const times = events.map((e) => Date.parse(e.timestamp));
    expect(times.every((t, i) => i === 0 || t > times[i - 1]!)).toBe(true);
    clock += 5;
    for (const e of events.filter((e) => e.type === 'customer.updated')) {
      expect(e.version).toBeGreaterThan(0);
      expect(e.index).toBeLessThan(20);
    }
  });

  it('is the same stream for the same seed, and its bodies are {type, timestamp, data}', () => {
    const a = createCustomerEventStream({ seed: 3, customers: 5, now: () => 0 });
    const b = createCustomerEventStream({ seed: 3, customers: 5, now: () => 0 });
    for (let i = 0; i < 20; i++) expect(a()).toEqual(b());
    const event = createCustomerEventStream({ seed: 3, customers: 5, now: () => 0 })();
    expect(JSON.parse(eventBody(event))).toEqual({
      type: event.type,
      timestamp: event.timestamp,
      data: event.data,
    });
  });

  it('moves a valid customer on an update and keeps an invalid one invalid', () => {
    for (let index = 0; index < 200; index++) {
      const base = customerVersion(42, index, 0);
      const updated = customerVersion(42, index, 3);
      expect(isQuarantined(updated)).toBe(isQuarantined(base));
      expect(updated.customer_id).toEqual(base.customer_id);
      if (!isQuarantined(base)) expect(updated.address?.street).not.toBe(base.address?.street);
    }
  });
});

describe('rates', () => {
  it('reads events per second or per minute', () => {
    expect(parseRate('50/s')).toBe(50);
    expect(parseRate('50')).toBe(50);
    expect(parseRate('3000/m')).toBe(50);
    expect(parseRate('0/s')).toBeUndefined();
    expect(parseRate('fast')).toBeUndefined();
  });
});
