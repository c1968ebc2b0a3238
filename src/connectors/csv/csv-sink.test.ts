import { appendFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../../../test/support/temp-dirs.ts';
import type { OutgoingRecord, SinkConnector } from '../../core/connector-types.ts';
import { type FerryError, hasErrorCode } from '../../core/errors.ts';
import { fileTestContext, readAllPages } from '../files/test-support.ts';
import { csvSink } from './sink-spec.ts';
import { csvSource } from './source-spec.ts';

const dirs = tempDirs('ferry-csv-sink-');
afterAll(() => dirs.removeAll());

const sinks: SinkConnector[] = [];
afterAll(async () => {
  await Promise.all(sinks.map((sink) => sink.close()));
});

async function sinkIn(dir: string, options: Record<string, unknown> = {}, ignoreFields: string[] = []) {
  const sink = await csvSink.create(
    csvSink.options.parse({ path: 'out/orders.csv', ...options }),
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
      customerInfo: { id: String(id), name: `Ann ${id}`, contactEmail: `ann${id}@example.com` },
      orderDate: '2024-05-01T12:00:00Z',
      ...extra,
    },
  };
}

const text = (dir: string, name = 'out/orders.csv') => readFile(join(dir, name), 'utf8');

describe('csv sink', () => {
  it('appends rows under one header, nested fields as dot-path columns, the record key first', async () => {
    const dir = await dirs.make();
    const sink = await sinkIn(dir);
    const outcomes = await sink.sendBatch!([order(1), order(2)]);
    expect(outcomes).toEqual([
      { state: 'delivered', attempts: 1 },
      { state: 'delivered', attempts: 1 },
    ]);
    await sink.close();
    const again = await sinkIn(dir);
    await again.send(order(3));
    expect(await text(dir)).toBe(
      [
        'ferry_key,orderId,customerInfo.id,customerInfo.name,customerInfo.contactEmail,orderDate',
        '1,ORD-1,1,Ann 1,ann1@example.com,2024-05-01T12:00:00Z',
        '2,ORD-2,2,Ann 2,ann2@example.com,2024-05-01T12:00:00Z',
        '3,ORD-3,3,Ann 3,ann3@example.com,2024-05-01T12:00:00Z',
        '',
      ].join('\n'),
    );
  });

  it('uses a field of the value as the key column, and keeps to the configured columns', async () => {
    const dir = await dirs.make();
    const sink = await sinkIn(dir, {
      key_column: 'orderId',
      columns: [
        'orderId',
        'customerInfo.name',
        'customerInfo.id',
        'customerInfo.contactEmail',
        'orderDate',
        'note',
      ],
    });
    await sink.send(order(1));
    expect((await text(dir)).split('\n')[1]).toBe('ORD-1,Ann 1,1,ann1@example.com,2024-05-01T12:00:00Z,');
  });

  it('refuses a record with a field no column holds, naming the field, and writes nothing for it', async () => {
    const dir = await dirs.make();
    const sink = await sinkIn(dir, { key_column: 'orderId' });
    const [first, second] = await sink.sendBatch!([order(1), order(2, { contactPhone: '555' })]);
    expect(first!.state).toBe('delivered');
    expect(second).toMatchObject({
      state: 'failed',
      refused: true,
      reasons: [{ field: 'contactPhone', code: 'unknown_column' }],
    });
    expect((await text(dir)).trim().split('\n')).toHaveLength(2);
  });

  it('quotes delimiters, quotes and line breaks, and a CSV source reads them back', async () => {
    const dir = await dirs.make();
    const sink = await sinkIn(dir, { line_ending: 'crlf' });
    const value = {
      id: 'a',
      note: 'say "hi",\nthen\r\nleave',
      list: [1, 'two'],
      none: null,
      yes: true,
      n: 1.5,
    };
    await sink.send({ key: 'a', idempotencyKey: 'a', value });
    const source = await csvSource.create(
      csvSource.options.parse({ path: 'out/orders.csv' }),
      fileTestContext(dir),
    );
    const [page] = await readAllPages(source);
    expect(page!.records).toEqual([
      { ferry_key: 'a', id: 'a', note: 'say "hi",\nthen\r\nleave', list: '[1,"two"]', yes: 'true', n: '1.5' },
    ]);
  });

  it('refuses to append to a file whose header differs from columns', async () => {
    const dir = await dirs.make();
    await (await sinkIn(dir)).send(order(1));
    const sink = await sinkIn(dir, { columns: ['orderId'] });
    const error = await sink.send(order(2)).catch((e: unknown) => e);
    expect(hasErrorCode(error, 'FERRY_ERR_CONFIG_INVALID')).toBe(true);
    expect((error as FerryError).message).toMatch(
      /orders\.csv has the columns ferry_key,orderId,.* destination\.columns makes them ferry_key,orderId/,
    );
  });

  it('refuses a file without the key column', async () => {
    const dir = await dirs.make();
    await mkdir(join(dir, 'out'));
    await writeFile(join(dir, 'out/orders.csv'), 'orderId,name\nORD-1,Ann\n');
    const sink = await sinkIn(dir);
    const error = await sink.send(order(2)).catch((e: unknown) => e);
    expect((error as FerryError).message).toMatch(/has no column ferry_key \(destination\.key_column\)/);
  });

  describe('lookup', () => {
    it('finds a row by key and tells an equal row from another one', async () => {
      const dir = await dirs.make();
      const sink = await sinkIn(dir, { key_column: 'orderId' }, ['orderDate']);
      expect(await sink.lookup!(order(1))).toEqual({ found: false });
      await sink.sendBatch!([order(1), order(2)]);
      const found = await sink.lookup!(order(2));
      expect(found).toMatchObject({
        found: true,
        matches: true,
        body: { orderId: 'ORD-2', 'customerInfo.name': 'Ann 2' },
      });
      // orderDate is ignored (compare: false); the name is not.
      expect(await sink.lookup!(order(2, { orderDate: '2025-01-01T00:00:00Z' }))).toMatchObject({
        matches: true,
      });
      const renamed = order(2);
      (renamed.value as { customerInfo: { name: string } }).customerInfo.name = 'Bob';
      expect(await sink.lookup!(renamed)).toMatchObject({ found: true, matches: false });
      // Rows written after the index was built are found too.
      await sink.send(order(3));
      expect(await sink.lookup!(order(3))).toMatchObject({ found: true, matches: true });
      expect(await sink.lookup!(order(4))).toEqual({ found: false });
    });

    it('finds rows a previous run wrote, across rotated files', async () => {
      const dir = await dirs.make();
      const first = await sinkIn(dir, { path: 'out/orders-{n}.csv', rotate_bytes: 300 });
      for (let id = 1; id <= 20; id += 5)
        await first.sendBatch!([order(id), order(id + 1), order(id + 2), order(id + 3), order(id + 4)]);
      await first.close();
      const files = (await readdir(join(dir, 'out'))).sort();
      expect(files.length).toBeGreaterThan(3);
      for (const name of files) {
        const lines = (await text(dir, `out/${name}`)).trim().split('\n');
        expect(lines[0]).toMatch(/^ferry_key,orderId,/);
        expect(lines.length).toBeGreaterThan(1);
      }
      const second = await sinkIn(dir, { path: 'out/orders-{n}.csv', rotate_bytes: 300 });
      for (let id = 1; id <= 20; id++)
        expect(await second.lookup!(order(id))).toMatchObject({ found: true, matches: true });
      expect(await second.lookup!(order(21))).toEqual({ found: false });
    });
  });

  describe('a row torn by a crash mid-write', () => {
    it('is cut off when the file is opened, kept in <file>.torn, and the next row starts clean', async () => {
      const dir = await dirs.make();
      await (await sinkIn(dir)).sendBatch!([order(1), order(2)]);
      await appendFile(join(dir, 'out/orders.csv'), '3,ORD-3,3,Ann');
      const sink = await sinkIn(dir);
      expect(await sink.lookup!(order(3))).toEqual({ found: false });
      await sink.send(order(3));
      const lines = (await text(dir)).trim().split('\n');
      expect(lines).toHaveLength(4);
      expect(lines[3]).toBe('3,ORD-3,3,Ann 3,ann3@example.com,2024-05-01T12:00:00Z');
      expect(await text(dir, 'out/orders.csv.torn')).toBe('3,ORD-3,3,Ann\n');
    });

    it('even when it ends in a line break inside a quoted value', async () => {
      const dir = await dirs.make();
      const sink = await sinkIn(dir, { columns: ['id', 'note'] });
      await sink.send({ key: '1', idempotencyKey: '1', value: { id: '1', note: 'a "quoted"\nvalue' } });
      await appendFile(join(dir, 'out/orders.csv'), '2,2,"two\nlines\n');
      const reopened = await sinkIn(dir, { columns: ['id', 'note'] });
      expect(
        await reopened.lookup!({ key: '2', idempotencyKey: '2', value: { id: '2', note: 'two\nlines' } }),
      ).toEqual({
        found: false,
      });
      expect(await text(dir)).toBe('ferry_key,id,note\n1,1,"a ""quoted""\nvalue"\n');
    });
  });

  it('tells ferry check whether the file can be written, without writing', async () => {
    const dir = await dirs.make();
    expect(await (await sinkIn(dir)).probe!()).toEqual({
      ok: true,
      detail: `${join(dir, 'out/orders.csv')} will be created (${dir} may be written)`,
    });
    await (await sinkIn(dir)).send(order(1));
    expect(await (await sinkIn(dir)).probe!()).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/exists \(\d+ bytes\)/),
    });
    expect(await (await sinkIn(dir, { columns: ['orderId'] })).probe!()).toMatchObject({
      ok: false,
      code: 'FERRY_ERR_CONFIG_INVALID',
    });
  });

  it('refuses options that cannot work', () => {
    const parse = (options: Record<string, unknown>) =>
      csvSink.options.safeParse({ path: 'o.csv', ...options });
    expect(parse({ header: false }).success).toBe(false);
    expect(parse({ path: 'https://example.com/o.csv' }).success).toBe(false);
    expect(parse({ path: 'out-{n}/o.csv' }).success).toBe(false);
    expect(parse({ columns: ['a', 'a'] }).success).toBe(false);
    expect(() =>
      csvSink.create(csvSink.options.parse({ path: 'o.csv', rotate_bytes: '1MB' }), fileTestContext('/tmp')),
    ).toThrow(/rotate_bytes needs \{n\}/);
  });
});
