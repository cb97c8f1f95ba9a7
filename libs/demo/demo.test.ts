import { demoCounts, generateDemo, prng } from '.';
import { topics } from '../topics';

describe('demo stream', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = generateDemo({ events: 500, dupRate: 0.1, invalidRate: 0.05, seed: 7 });
    expect(generateDemo({ events: 500, dupRate: 0.1, invalidRate: 0.05, seed: 7 })).toEqual(a);
    expect(generateDemo({ events: 500, dupRate: 0.1, invalidRate: 0.05, seed: 8 })).not.toEqual(a);
  });
  it('produces exactly N records whose kinds add up, near the requested rates', () => {
    const recs = generateDemo({ events: 20000, dupRate: 0.05, invalidRate: 0.01, seed: 3 });
    const c = demoCounts(recs);
    expect(c.produced).toBe(20000);
    expect(c.unique_valid + c.duplicates + c.invalid).toBe(20000);
    expect(c.duplicates / c.unique_valid).toBeGreaterThan(0.035);
    expect(c.duplicates / c.unique_valid).toBeLessThan(0.065);
    expect(c.invalid / c.unique_valid).toBeGreaterThan(0.005);
    expect(c.invalid / c.unique_valid).toBeLessThan(0.02);
  });
  it('publishes from all three source systems', () => {
    const seen = new Set(generateDemo({ events: 100, seed: 1 }).map((r) => r.topic));
    expect(seen).toEqual(new Set([topics.rawMes.name, topics.rawWms.name, topics.rawTms.name]));
  });
  it('has a uniform-looking generator', () => {
    const r = prng(1);
    const xs = Array.from({ length: 10000 }, r);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
  });
});
