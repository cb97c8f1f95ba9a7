import { msSeries } from './raw-rates';

describe('msSeries', () => {
  it('counts the runs and gives p50 and p99 by nearest rank, to two decimals, sorting the series', () => {
    const ms = [30.123, 10.456, 20.789];
    expect(msSeries(ms)).toEqual({ runs: 3, p50Ms: 20.79, p99Ms: 30.12 });
    expect(ms).toEqual([10.456, 20.789, 30.123]);
  });

  it('takes the 99th percentile from the top of a hundred runs', () => {
    const ms = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(msSeries(ms)).toEqual({ runs: 100, p50Ms: 50, p99Ms: 99 });
  });

  it('gives zeros for an empty series', () => {
    expect(msSeries([])).toEqual({ runs: 0, p50Ms: 0, p99Ms: 0 });
  });
});
