import { setNewest } from '.';

/** The eviction setNewest replaces: a fresh iterator per eviction (the same order, by definition). */
function setNewestByFreshIterator<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value as K);
}

/** A small deterministic generator, so a failure names the case it failed on. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('setNewest', () => {
  it('keeps the newest max entries, a set key becoming the newest', () => {
    const m = new Map<string, number>();
    for (const [k, v] of [
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ] as const)
      setNewest(m, k, v, 3);
    setNewest(m, 'a', 4, 3); // a is now the newest: b is the oldest
    setNewest(m, 'd', 5, 3);
    expect([...m]).toEqual([
      ['c', 3],
      ['a', 4],
      ['d', 5],
    ]);
  });

  it('lets several go when the bound is lowered', () => {
    const m = new Map<number, number>();
    for (let i = 0; i < 10; i++) setNewest(m, i, i, 10);
    setNewest(m, 10, 10, 4);
    expect([...m.keys()]).toEqual([7, 8, 9, 10]);
  });

  it.each([1, 2, 7, 100])(
    'holds what a fresh iterator per eviction holds, max %i, with re-sets, deletes and clears between',
    (max) => {
      const random = lcg(max);
      const ours = new Map<string, number>();
      const theirs = new Map<string, number>();
      for (let step = 0; step < 20_000; step++) {
        const key = `k${Math.floor(random() * max * 3)}`;
        setNewest(ours, key, step, max);
        setNewestByFreshIterator(theirs, key, step, max);
        if (step % 97 === 0) {
          const gone = `k${Math.floor(random() * max * 3)}`;
          ours.delete(gone);
          theirs.delete(gone);
        }
        if (step % 5_003 === 0) {
          ours.clear();
          theirs.clear();
        }
        if (step % 101 === 0 || step === 19_999) expect([...ours]).toEqual([...theirs]);
      }
      expect(ours.size).toBe(max);
    },
  );

  it('keeps one iterator per map: two maps evict independently', () => {
    const a = new Map<number, string>();
    const b = new Map<number, string>();
    for (let i = 0; i < 50; i++) {
      setNewest(a, i, 'a', 5);
      setNewest(b, 100 - i, 'b', 3);
    }
    expect([...a.keys()]).toEqual([45, 46, 47, 48, 49]);
    expect([...b.keys()]).toEqual([53, 52, 51]);
  });
});
