import { describe, expect, it } from 'vitest';
import { LineTracker, WINDOW_BYTES } from './line-tracker.ts';

function through(tracker: LineTracker, chunks: string[]): void {
  for (const chunk of chunks) tracker.write(Buffer.from(chunk));
}

describe('line tracker', () => {
  it('turns offsets into lines across chunks, counting CRLF once', () => {
    const tracker = new LineTracker();
    through(tracker, ['a,b\r\n1,"x\r', '\ny"\r\n\r\n', '2,z\n']);
    expect(tracker.lineAt(0)).toBe(1);
    expect(tracker.lineAt(5)).toBe(2);
    expect(tracker.skipBlank(15)).toBe(17);
    expect(tracker.lineAt(17)).toBe(5);
    expect(() => tracker.lineAt(3)).toThrow(/moved back/);
  });

  it('starts where a resumed read starts', () => {
    const tracker = new LineTracker(1000, 42);
    through(tracker, ['x\ny\n']);
    expect(tracker.lineAt(1002)).toBe(43);
    expect(tracker.through).toBe(1004);
  });

  it("keeps a window of bytes behind the cursor and the file's first bytes", () => {
    const tracker = new LineTracker();
    const line = `${'x'.repeat(99)}\n`;
    for (let i = 0; i < 200; i++) tracker.write(Buffer.from(line));
    tracker.lineAt(150 * 100);
    expect(tracker.bytesBefore(150 * 100).toString()).toBe(
      line.repeat(WINDOW_BYTES / 100 + 1).slice(-WINDOW_BYTES),
    );
    expect(tracker.head().length).toBe(WINDOW_BYTES);
    expect(new LineTracker(10).head().length).toBe(0);
  });
});
