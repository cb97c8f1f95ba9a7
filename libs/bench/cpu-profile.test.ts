import { parseCpuProfile, summarizeCpuProfile, type CpuProfile } from './cpu-profile';

const frame = (functionName: string, url = '', lineNumber = -1) => ({ functionName, url, lineNumber });

/**
 * (root) → run → walk → walk (recursion); (root) → (idle); (root) → (garbage collector).
 * Six samples in the first second, four in the second.
 */
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 5, 6] },
    { id: 2, callFrame: frame('run', 'file:///app/dist/libs/a.js', 9), children: [3] },
    { id: 3, callFrame: frame('walk', 'file:///app/dist/libs/b.js', 19), children: [4] },
    { id: 4, callFrame: frame('walk', 'file:///app/dist/libs/b.js', 19) },
    { id: 5, callFrame: frame('(idle)') },
    { id: 6, callFrame: frame('(garbage collector)') },
  ],
  startTime: 1_000_000,
  samples: [4, 4, 3, 2, 5, 6, 5, 5, 5, 4],
  timeDeltas: [100_000, 100_000, 100_000, 100_000, 100_000, 100_000, 500_000, 100_000, 100_000, 100_000],
};

describe('summarizeCpuProfile', () => {
  const summary = summarizeCpuProfile(profile);

  it('shares busy samples only, each function by itself and with its callees', () => {
    expect(summary.samples).toBe(10);
    expect(summary.busySamples).toBe(6);
    expect(summary.self).toEqual([
      { fn: 'walk dist/libs/b.js:20', percent: 66.7 },
      { fn: 'run dist/libs/a.js:10', percent: 16.7 },
      { fn: '(garbage collector)', percent: 16.7 },
    ]);
  });

  it('counts a recursive function once per sample, and leaves out the root', () => {
    expect(summary.inclusive).toEqual([
      { fn: 'run dist/libs/a.js:10', percent: 83.3 },
      { fn: 'walk dist/libs/b.js:20', percent: 66.7 },
      { fn: '(garbage collector)', percent: 16.7 },
    ]);
  });

  it('gives the busy share of each second', () => {
    // Second 0: samples at 0.1–0.6 s, five busy of six; second 1: 1.1–1.4 s, one busy of four.
    expect(summary.busyPercentBySecond).toEqual([83, 25]);
  });

  it('keeps the top N', () => {
    expect(summarizeCpuProfile(profile, 1).self).toEqual([{ fn: 'walk dist/libs/b.js:20', percent: 66.7 }]);
  });
});

describe('parseCpuProfile', () => {
  it('refuses what is not JSON, or not a profile, naming the file', () => {
    expect(() => parseCpuProfile('{', 'x.cpuprofile')).toThrow('x.cpuprofile is not JSON');
    expect(() => parseCpuProfile('{"nodes":[]}', 'y.json')).toThrow('y.json is not a V8 CPU profile');
  });

  it('reads a profile', () => {
    expect(parseCpuProfile(JSON.stringify(profile), 'p').samples).toHaveLength(10);
  });
});
