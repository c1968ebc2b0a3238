import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { clearSecretsForTests, registerSecret } from '../../core/secret-registry.ts';
import { createEventStream } from './event-stream.ts';
import type { IntegrationControl, OperationsEvent } from './operations-types.ts';

class FakeResponse extends EventEmitter {
  written = '';
  writableLength = 0;
  destroyed = false;
  ended = false;
  status = 0;
  writeHead(status: number) {
    this.status = status;
  }
  write(text: string) {
    this.written += text;
    return true;
  }
  destroy() {
    this.destroyed = true;
  }
  end() {
    this.ended = true;
  }
}

function fakeControl() {
  let listener: ((event: OperationsEvent) => void) | undefined;
  const control = {
    subscribe: (l: (event: OperationsEvent) => void) => {
      listener = l;
      return () => {
        listener = undefined;
      };
    },
  } as unknown as IntegrationControl;
  return {
    control,
    emit: (event: OperationsEvent) => listener?.(event),
    listening: () => listener !== undefined,
  };
}

const progress = (runId: string, delivered: number): OperationsEvent => ({
  type: 'run.progress',
  integration: 'flow',
  runId,
  counts: { delivered },
  retries: 0,
  rateLimited: 0,
  ratePerSec: 1,
});

describe('the event stream', () => {
  afterEach(() => clearSecretsForTests());

  it('sends events as server-sent events, progress thinned per run, secrets masked', () => {
    let now = 0;
    const { control, emit } = fakeControl();
    const stream = createEventStream(control, { clock: () => now, progressEveryMs: 250 });
    const client = new FakeResponse();
    expect(stream.open(client as unknown as ServerResponse, { 'x-test': '1' })).toBe(true);
    expect(client.status).toBe(200);
    registerSecret('s3cret-value');
    emit({ type: 'run.started', integration: 'flow', runId: 'r1', startedAt: 's3cret-value' });
    now = 300;
    emit(progress('r1', 1));
    now = 400;
    emit(progress('r1', 2));
    emit(progress('r2', 7));
    now = 600;
    emit(progress('r1', 3));
    const events = client.written.split('\n\n').filter((block) => block.startsWith('event:'));
    expect(events.map((e) => e.split('\n')[0])).toEqual([
      'event: run.started',
      'event: run.progress',
      'event: run.progress',
      'event: run.progress',
    ]);
    expect(client.written).not.toContain('s3cret-value');
    expect(events.slice(1).map((e) => JSON.parse(e.split('data: ')[1]!).counts.delivered)).toEqual([1, 7, 3]);
    stream.close();
  });

  it('refuses streams past the limit, drops a client that does not read, and ends all on close', () => {
    const { control, emit, listening } = fakeControl();
    const stream = createEventStream(control, { maxClients: 2, maxBufferedBytes: 10 });
    const slow = new FakeResponse();
    const fine = new FakeResponse();
    expect(stream.open(slow as unknown as ServerResponse, {})).toBe(true);
    expect(stream.open(fine as unknown as ServerResponse, {})).toBe(true);
    expect(stream.open(new FakeResponse() as unknown as ServerResponse, {})).toBe(false);
    slow.writableLength = 11;
    emit({ type: 'run.finished', integration: 'flow', runId: 'r', status: 'completed', counts: {} });
    expect(slow.destroyed).toBe(true);
    expect(stream.clients).toBe(1);
    stream.close();
    expect(fine.ended).toBe(true);
    expect(listening()).toBe(false);
  });
});
