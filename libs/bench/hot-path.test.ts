import { benchHotPath, benchHotPathAsPipeline, spread } from './hot-path';

describe('spread', () => {
  it('gives the median, min and max, rounded to hundredths', () => {
    expect(spread([3.333, 1, 2.5, 10, 4])).toEqual({ median: 3.33, min: 1, max: 10 });
    expect(spread([7])).toEqual({ median: 7, min: 7, max: 7 });
  });
  it('refuses no values', () => {
    expect(() => spread([])).toThrow('no values');
  });
});

describe('benchHotPath', () => {
  it('times both steps over every demo record, counting only the rounds after the warm-up', () => {
    const result = benchHotPath({ events: 300, rounds: 4, warmupRounds: 1 });
    expect(result.events).toBe(300);
    expect(result.rounds).toBe(4);
    expect(result.warmupRounds).toBe(1);
    for (const s of [result.normalizeUsPerEvent, result.prepareBatchUsPerEvent]) {
      expect(s.min).toBeGreaterThan(0);
      expect(s.min).toBeLessThanOrEqual(s.median);
      expect(s.median).toBeLessThanOrEqual(s.max);
    }
    expect(result.load_average).toHaveLength(3);
  });
  it('refuses as many rounds as warm-up rounds: nothing would be counted', () => {
    expect(() => benchHotPath({ events: 100, rounds: 5, warmupRounds: 5 })).toThrow('must be more than');
  });
});

describe('benchHotPathAsPipeline', () => {
  it("measures in a process with the fused pipeline's Node flags, and says which", () => {
    // This (jest's) process runs without them: the figures come from a child started with them.
    expect(process.execArgv).not.toContain('--max-semi-space-size=64');
    const result = benchHotPathAsPipeline({ events: 200, rounds: 6 });
    expect(result.node_flags).toEqual(['--max-semi-space-size=64']);
    expect(result.events).toBe(200);
    expect(result.rounds).toBe(6);
    expect(result.normalizeUsPerEvent.min).toBeGreaterThan(0);
    expect(result.prepareBatchUsPerEvent.min).toBeGreaterThan(0);
  });
});
