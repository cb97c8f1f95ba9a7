import { accountDeliveries, deliveryFailure, type Receipt } from './subscriptions';

const landed = (ms: number) => new Date(ms).toISOString();
const receipt = (eventID: string, receivedAt: number, recordTimeMs: number): Receipt => ({
  eventID,
  receivedAt,
  recordTime: landed(recordTimeMs),
});

describe('accountDeliveries', () => {
  const accepted = new Map([
    ['a', 1000],
    ['b', 2000],
    ['c', 3000],
  ]);

  it('measures each event from its acceptance and from its landing, first receipt only', () => {
    const account = accountDeliveries(accepted, [
      receipt('a', 1100, 1050),
      receipt('b', 2300, 2100),
      receipt('c', 3200, 3150),
    ]);
    expect(account).toEqual({
      captured: 3,
      delivered: 3,
      missing: 0,
      duplicates: 0,
      unexpected: 0,
      fromAcceptanceMs: { p50: 200, p95: 300, p99: 300, max: 300 },
      fromLandingMs: { p50: 50, p95: 200, p99: 200, max: 200 },
    });
    expect(deliveryFailure({ webhook: account })).toBeNull();
  });

  it('counts missing, duplicate and foreign deliveries, and the run fails with each named', () => {
    const account = accountDeliveries(accepted, [
      receipt('a', 1100, 1050),
      receipt('a', 5000, 1050),
      receipt('x', 1200, 1100),
    ]);
    expect(account).toMatchObject({ delivered: 1, missing: 2, duplicates: 1, unexpected: 1 });
    // The duplicate's later receipt does not count as a delay.
    expect(account.fromAcceptanceMs).toEqual({ p50: 100, p95: 100, p99: 100, max: 100 });
    const fine = accountDeliveries(accepted, [receipt('a', 1, 1), receipt('b', 2, 2), receipt('c', 3, 3)]);
    expect(deliveryFailure({ webhook: fine, WebSocket: account })).toBe(
      'WebSocket: 2 of 3 captured events not delivered, 1 delivered more than once, 1 events delivered that were not captured by this run',
    );
    expect(deliveryFailure({ webhook: fine }, 2)).toBe('webhook: 2 deliveries with a wrong signature');
  });

  it('has no figures when nothing arrived', () => {
    const account = accountDeliveries(accepted, []);
    expect(account.fromAcceptanceMs).toBeNull();
    expect(account.missing).toBe(3);
  });
});
