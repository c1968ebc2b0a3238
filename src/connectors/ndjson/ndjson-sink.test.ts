import { appendFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../../../test/support/temp-dirs.ts';
import type { OutgoingRecord, SinkConnector } from '../../core/connector-types.ts';
import { fileTestContext, readAllPages } from '../files/test-support.ts';
import { ndjsonSink } from './sink-spec.ts';
import { ndjsonSource } from './source-spec.ts';

const dirs = tempDirs('ferry-ndjson-sink-');
const sinks: SinkConnector[] = [];
afterAll(async () => {
  await Promise.all(sinks.map((sink) => sink.close()));
  await dirs.removeAll();
});

async function sinkIn(dir: string, options: Record<string, unknown> = {}, ignoreFields: string[] = []) {
  const sink = await ndjsonSink.create(
    ndjsonSink.options.parse({ path: 'out/orders.ndjson', ...options }),
    fileTestContext(dir, { ignoreFields }),
  );
  sinks.push(sink);
  return sink;
}

function order(id: number, extra: Record<string, unknown> = {}): OutgoingRecord {
  return {
    key: String(id),
    idempotencyKey: `k-${id}`,
    value: {
      orderId: `ORD-${id}`,
      customerInfo: { name: `Ann ${id}` },
      orderDate: '2024-05-01T12:00:00Z',
      ...extra,
    },
  };
}

const lines = async (dir: string, name = 'out/orders.ndjson') =>
  (await readFile(join(dir, name), 'utf8')).split('\n').filter((line) => line !== '');

describe('ndjson sink', () => {
  it('appends one JSON line per record, the record key added first', async () => {
    const dir = await dirs.make();
    const sink = await sinkIn(dir);
    await sink.sendBatch!([order(1), order(2)]);
    expect(await lines(dir)).toEqual([
      '{"ferry_key":"1","orderId":"ORD-1","customerInfo":{"name":"Ann 1"},"orderDate":"2024-05-01T12:00:00Z"}',
      '{"ferry_key":"2","orderId":"ORD-2","customerInfo":{"name":"Ann 2"},"orderDate":"2024-05-01T12:00:00Z"}',
    ]);
  });

  it('writes the value as it is when it holds the key field, and an NDJSON source reads it back', async () => {
    const dir = await dirs.make();
    const sink = await sinkIn(dir, { key_field: 'orderId' });
    await sink.send(order(1, { lines: [{ sku: 'a', qty: 2 }] }));
    const source = await ndjsonSource.create(
      ndjsonSource.options.parse({ path: 'out/orders.ndjson' }),
      fileTestContext(dir),
    );
    expect((await readAllPages(source))[0]!.records).toEqual([
      order(1, { lines: [{ sku: 'a', qty: 2 }] }).value,
    ]);
  });

  it('looks records up by key, comparing all but the ignored fields, across rotated files and runs', async () => {
    const dir = await dirs.make();
    const options = { path: 'out/orders-{n}.ndjson', rotate_bytes: 250, key_field: 'customerInfo.name' };
    const first = await sinkIn(dir, options, ['orderDate']);
    for (let id = 1; id <= 12; id += 3) await first.sendBatch!([order(id), order(id + 1), order(id + 2)]);
    await first.close();
    expect((await readdir(join(dir, 'out'))).length).toBeGreaterThan(2);
    const second = await sinkIn(dir, options, ['orderDate']);
    for (let id = 1; id <= 12; id++) {
      expect(await second.lookup!(order(id, { orderDate: 'later' }))).toMatchObject({
        found: true,
        matches: true,
      });
    }
    expect(await second.lookup!(order(5, { extra: 1 }))).toMatchObject({ found: true, matches: false });
    expect(await second.lookup!(order(13))).toEqual({ found: false });
  });

  it('cuts off a line torn by a crash and keeps its bytes aside', async () => {
    const dir = await dirs.make();
    await (await sinkIn(dir)).send(order(1));
    await appendFile(join(dir, 'out/orders.ndjson'), '{"ferry_key":"2","orderId":"OR');
    const sink = await sinkIn(dir);
    expect(await sink.lookup!(order(2))).toEqual({ found: false });
    await sink.send(order(2));
    const written = await lines(dir);
    expect(written).toHaveLength(2);
    expect(written.map((line) => JSON.parse(line).orderId)).toEqual(['ORD-1', 'ORD-2']);
    expect(await readFile(join(dir, 'out/orders.ndjson.torn'), 'utf8')).toBe(
      '{"ferry_key":"2","orderId":"OR\n',
    );
  });

  it('refuses a value that is not an object', async () => {
    const dir = await dirs.make();
    const sink = await sinkIn(dir);
    expect(await sink.send({ key: '1', idempotencyKey: '1', value: [1, 2] })).toMatchObject({
      state: 'failed',
      refused: true,
      reasons: [{ code: 'not_an_object' }],
    });
  });
});
