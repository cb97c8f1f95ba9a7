import { sseReader } from './sse';

describe('sseReader', () => {
  it('cuts events at blank lines, across chunks, and skips comments and the retry line', () => {
    const got: [string, unknown][] = [];
    const read = sseReader((event, data) => got.push([event, data]));
    read('retry: 1000\n\nevent: hel');
    read('lo\ndata: {"a":');
    expect(got).toEqual([]);
    read('1}\n\n: keep-alive\n\ndata: [1,\ndata: 2]\n\nevent: frame\ndata: "x"\n\n');
    expect(got).toEqual([
      ['hello', { a: 1 }],
      ['message', [1, 2]],
      ['frame', 'x'],
    ]);
  });

  it('throws on data that is not JSON, so a broken stream is not taken for an empty one', () => {
    const read = sseReader(() => {});
    expect(() => read('data: {not json\n\n')).toThrow(SyntaxError);
  });
});
