/**
 * kafkajs 2.2.4 keeps every broker connection's request queue awake once a millisecond: after each
 * check of its pending requests it schedules the next one with `throttledUntil - now`, which is
 * negative when nothing is throttled, even when nothing is pending (kafkajs issue #1556, unfixed
 * upstream). In each of our processes (a consumer, a producer, state followers) that was 50–60 ms
 * of CPU a second while idle, and the same while working: the split deployment's nine processes
 * spent about half a core on it.
 *
 * With nothing pending there is nothing to check: a request that has to wait is pushed onto the
 * queue, and push() schedules the check itself; a reply runs the check at once. So the check is
 * scheduled only while something is pending or a throttle is in force, as kafkajs meant to.
 */
export interface RequestQueue {
  pending: unknown[];
  throttledUntil: number;
  scheduleCheckPendingRequests(): void;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs' internal module, untyped
const RequestQueueClass = require('kafkajs/src/network/requestQueue') as { prototype: RequestQueue };

const PATCHED = Symbol.for('unitrail.kafkajs.requestQueue.idle');

/** Installs the fix once per process (idempotent). */
export function stopIdleRequestQueueTimers(): void {
  const proto = RequestQueueClass.prototype as RequestQueue & { [PATCHED]?: true };
  if (proto[PATCHED]) return;
  const schedule = proto.scheduleCheckPendingRequests;
  proto.scheduleCheckPendingRequests = function (this: RequestQueue) {
    if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
    schedule.call(this);
  };
  proto[PATCHED] = true;
}
