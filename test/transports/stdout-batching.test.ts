// stdout batching (src/transports/stdio.ts): the answers of one event-loop turn go out in one write, in order.
import { Writable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { batched } from '../../src/transports/stdio.js';

/** A stream that records each write the way the kernel would see it: one entry per write(v) call. */
function recorder(): { out: NodeJS.WriteStream; writes: string[][] } {
  const writes: string[][] = [];
  const out = new Writable({
    decodeStrings: false,
    write(chunk: string, _enc, done) {
      writes.push([chunk]);
      done();
    },
    writev(chunks, done) {
      writes.push(chunks.map((c) => String(c.chunk)));
      done();
    },
  });
  return { out: out as unknown as NodeJS.WriteStream, writes };
}

describe('batched stdout', () => {
  it('writes every answer of one turn at once, in order, when the turn ends', async () => {
    const { out, writes } = recorder();
    const stream = batched(out);
    expect(stream.write('a\n')).toBe(true);
    expect(stream.write('b\n')).toBe(true);
    expect(stream.write('c\n')).toBe(true);
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toEqual([['a\n', 'b\n', 'c\n']]);
    stream.write('d\n');
    await nextTurn();
    expect(writes).toEqual([['a\n', 'b\n', 'c\n'], ['d\n']]);
  });

  it('says when the reader is behind, and the wait for drain ends once it is written', async () => {
    const { out, writes } = recorder();
    const stream = batched(out);
    const big = `${'x'.repeat(20_000)}\n`;
    expect(stream.write(big)).toBe(false);
    const drained = new Promise<void>((resolve) => stream.once('drain', resolve));
    await drained;
    expect(writes.flat()).toEqual([big]);
  });
});
