// The id of an overlong frame, read from its first bytes only: top-level ids count, nested or cut-off ones never do.
import { describe, expect, it } from 'vitest';
import { FRAME_HEAD_BYTES, LineCap, readFrameHead, tooLargeAnswer } from '../../src/transports/line-cap.js';

/** The first FRAME_HEAD_BYTES of a message whose arguments run far past them. */
const headOfLong = (before: string, after = ''): string => `${before}${'x'.repeat(FRAME_HEAD_BYTES * 2)}${after}`.slice(0, FRAME_HEAD_BYTES);

describe('readFrameHead', () => {
  it.each<[string, string, ReturnType<typeof readFrameHead>]>([
    ['a number id before params', headOfLong('{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"arguments":{"message":"'), { id: 42, looksJson: true }],
    ['a string id after a short params', headOfLong('{"jsonrpc":"2.0","method":"tools/call","params":{"name":"x","id":7},"id":"req-\\"9\\"","pad":"'), { id: 'req-"9"', looksJson: true }],
    ['an id only inside params', headOfLong('{"jsonrpc":"2.0","method":"tools/call","params":{"id":5,"users":[{"id":6},{"email":"'), { id: null, looksJson: true }],
    ['an id after params that run past the head', headOfLong('{"jsonrpc":"2.0","method":"tools/call","params":{"message":"', '","id":3}'), { id: null, looksJson: true }],
    ['"id": inside a string value', headOfLong('{"jsonrpc":"2.0","method":"x\\",\\"id\\":8","params":{"m":"'), { id: null, looksJson: true }],
    ['an id cut off by the end of the head', `${'{"pad":"'}${'x'.repeat(FRAME_HEAD_BYTES - 20)}","id":12`.slice(0, FRAME_HEAD_BYTES), { id: null, looksJson: true }],
    ['a null id', headOfLong('{"id":null,"method":"m","params":{"a":"'), { id: null, looksJson: true }],
    ['an object as id', headOfLong('{"id":{"id":1},"method":"m","params":{"a":"'), { id: null, looksJson: true }],
    ['the last top-level id, as JSON.parse takes it', headOfLong('{"id":1,"id":2,"params":{"a":"'), { id: 2, looksJson: true }],
    ['whitespace and a BOM first', headOfLong('\ufeff \r\n {\n "id" : -3 ,\n "params" : { "a" : "'), { id: -3, looksJson: true }],
    ['a batch', headOfLong('[{"jsonrpc":"2.0","id":1,"method":"m","params":{"a":"'), { id: null, looksJson: true }],
    ['text that is not JSON', headOfLong('hello {"id":1,'), { id: null, looksJson: false }],
    ['JSON-looking text with a syntax error', headOfLong('{"id" 1, "params":{"a":"'), { id: null, looksJson: false }],
    ['an unquoted key', headOfLong('{id:1,"params":{"a":"'), { id: null, looksJson: false }],
  ])('%s', (_what, head, expected) => {
    expect(head.length).toBeLessThanOrEqual(FRAME_HEAD_BYTES);
    expect(readFrameHead(Buffer.from(head))).toEqual(expected);
  });

  it('the answer: -32600 for its id, or -32700 with id null for what is not JSON, naming the cap', () => {
    expect(tooLargeAnswer(Buffer.from(headOfLong('{"id":"a","params":{"m":"')), 'Request line larger than the 10-byte cap')).toEqual({
      jsonrpc: '2.0',
      id: 'a',
      error: { code: -32600, message: 'Request line larger than the 10-byte cap: discarded unread, so nothing was done. Split it into smaller requests.' },
    });
    expect(tooLargeAnswer(Buffer.from('<html>'), 'x')).toMatchObject({ id: null, error: { code: -32700 } });
  });
});

describe('LineCap', () => {
  it('hands on short lines, and for a long one only its first FRAME_HEAD_BYTES, however it is split', async () => {
    const long = `{"id":9,"params":{"m":"${'y'.repeat(50_000)}"}}`;
    const discarded: Array<[number, string]> = [];
    const cap = new LineCap(FRAME_HEAD_BYTES * 2, (bytes, head) => discarded.push([bytes, head.toString()]));
    const passed: string[] = [];
    cap.on('data', (d: Buffer) => passed.push(d.toString()));
    const input = `{"id":1}\n${long}\n{"id":2}\n`;
    // Pieces of every size, so the cap is crossed mid-piece, at a piece's edge and inside the piece holding the newline.
    for (let at = 0, size = 1; at < input.length; at += size, size = (size * 7) % 4099 || 1) cap.write(Buffer.from(input.slice(at, at + size)));
    cap.end();
    await new Promise((resolve) => cap.on('end', resolve));
    expect(passed.join('')).toBe('{"id":1}\n{"id":2}\n');
    expect(discarded).toEqual([[long.length, long.slice(0, FRAME_HEAD_BYTES)]]);
  });
});
