import { newRequestQueue, stopIdleRequestQueueTimers } from './request-queue';

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
