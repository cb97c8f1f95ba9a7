import { checkScope, newRecallId } from './declare';

describe('declaring', () => {
  const ok = { gtin: '04012345100013', lots: ['L1'], reason: 'glass splinters' };
  it('takes a GTIN with its check digit, a reason and a window that runs forward', () => {
    expect(() => checkScope(ok)).not.toThrow();
    expect(() => checkScope({ ...ok, gtin: '04012345100019' })).toThrow(/not a GTIN/);
    expect(() => checkScope({ ...ok, gtin: '123' })).toThrow(/not a GTIN/);
    expect(() => checkScope({ ...ok, reason: ' ' })).toThrow(/--reason/);
    expect(() => checkScope({ ...ok, fromTime: 2000, toTime: 1000 })).toThrow(/--from is after --to/);
    expect(() => checkScope({ ...ok, fromTime: NaN })).toThrow(/--from/);
  });
  it('names recalls by day with a random tail', () => {
    expect(newRecallId(new Date(Date.UTC(2026, 10, 26)))).toMatch(/^R-20261126-[0-9A-F]{6}$/);
  });
});
