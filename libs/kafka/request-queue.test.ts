import { stopIdleRequestQueueTimers, type RequestQueue } from './request-queue';

/** A queue as kafkajs makes one per broker connection. */
function newRequestQueue(): RequestQueue & { throttleCheckTimeoutId: unknown; destroy(): void } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs' internal module, untyped
  const Queue = require('kafkajs/src/network/requestQueue') as new (opts: object) => RequestQueue & {
    throttleCheckTimeoutId: unknown;
    destroy(): void;
  };
  return new Queue({
    maxInFlightRequests: null,
    requestTimeout: 30000,
    enforceRequestTimeout: false,
    clientId: 'test',
    broker: 'test:9092',
    logger: { debug: () => {}, warn: () => {}, info: () => {}, error: () => {} },
  });
}

describe("kafkajs' request queue, as this process runs it", () => {
  beforeAll(() => stopIdleRequestQueueTimers());

  it('schedules no check while nothing is pending and nothing is throttled', () => {
    const queue = newRequestQueue();
    queue.scheduleCheckPendingRequests();
    expect(queue.throttleCheckTimeoutId).toBeNull();
  });

  it('still schedules one while a request waits, or a throttle is in force', () => {
    const waiting = newRequestQueue();
    waiting.pending.push({});
    waiting.scheduleCheckPendingRequests();
    expect(waiting.throttleCheckTimeoutId).not.toBeNull();
    clearTimeout(waiting.throttleCheckTimeoutId as NodeJS.Timeout);

    const throttled = newRequestQueue();
    throttled.throttledUntil = Date.now() + 60_000;
    throttled.scheduleCheckPendingRequests();
    expect(throttled.throttleCheckTimeoutId).not.toBeNull();
    clearTimeout(throttled.throttleCheckTimeoutId as NodeJS.Timeout);
  });
});
