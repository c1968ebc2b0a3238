import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BODY_DEADLINE, readBody } from './read-body.ts';

const limits = (maxBytes = 1000, timeoutMs = 1000) => ({
  maxBytes,
  timeoutMs,
  tooLarge: () => new Error('too large'),
});

describe('readBody', () => {
  it('joins the chunks of a body in order', async () => {
    const body = Readable.from([Buffer.from('ab'), Buffer.from('cd'), Buffer.from('e')], {
      objectMode: false,
    });
    expect((await readBody(body, limits())).toString()).toBe('abcde');
  });

  it('gives an empty buffer for an empty body', async () => {
    expect((await readBody(Readable.from([]), limits())).length).toBe(0);
  });

  it('rejects with tooLarge() past the cap and destroys the body', async () => {
    const body = new Readable({ read() {} });
    const reading = readBody(body, limits(5));
    body.push(Buffer.from('1234'));
    body.push(Buffer.from('56'));
    await expect(reading).rejects.toThrow('too large');
    expect(body.destroyed).toBe(true);
  });

  it('rejects with the body deadline error when the body never ends', async () => {
    const body = new Readable({ read() {} });
    body.push(Buffer.from('partial'));
    await expect(readBody(body, limits(1000, 30))).rejects.toMatchObject({ code: BODY_DEADLINE });
    expect(body.destroyed).toBe(true);
  });

  it('rejects with the stream error, also one raised before reading began', async () => {
    const failing = new Readable({ read() {} });
    const reading = readBody(failing, limits());
    failing.destroy(Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    await expect(reading).rejects.toMatchObject({ code: 'ECONNRESET' });

    const failed = new Readable({ read() {} });
    failed.on('error', () => undefined);
    failed.destroy(Object.assign(new Error('early'), { code: 'EPIPE' }));
    await new Promise((resolve) => setImmediate(resolve));
    await expect(readBody(failed, limits())).rejects.toMatchObject({ code: 'EPIPE' });
  });

  it('rejects as a premature close when the body is closed before its end without an error', async () => {
    const body = new Readable({ read() {} });
    const reading = readBody(body, limits());
    body.destroy();
    await expect(reading).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });

    const closed = new Readable({ read() {} });
    closed.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    await expect(readBody(closed, limits())).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });
});
