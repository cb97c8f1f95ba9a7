/**
 * Instrumentation as events (after kafkajs' consumer/instrumentationEvents): the batch processor
 * and the Kafka loop emit these; metrics, logs and progress listen. Nothing else reports.
 */

/** Where in a batch a record failed for good (its DLQ reason code says the same). */
export type Step = 'decode' | 'prepare' | 'handle' | 'encode' | 'send' | 'write';

export type RuntimeEvent =
  /** A batch (one partition's chunk) begins. */
  | { type: 'batch-start'; stage: string; topic: string; partition: number; size: number }
  /** A batch's outputs are acknowledged and `write` has returned. */
  | { type: 'batch-end'; stage: string; topic: string; partition: number; size: number; seconds: number }
  | { type: 'produced'; stage: string; topic: string; count: number }
  | { type: 'dlq'; stage: string; reason: string; source: string }
  | { type: 'dropped'; stage: string; reason: string; source: string; device: string }
  /** A record that failed for good in `step` was set apart from its batch (to the DLQ, or skipped if it came from the DLQ). */
  | {
      type: 'isolated';
      stage: string;
      step: Step;
      topic: string;
      partition: number;
      offset: string;
      code: string;
      error: string;
      toDlq: boolean;
    }
  /** A batch failed with a retriable error (a dependency outage) and waits before trying again. */
  | {
      type: 'retry';
      stage: string;
      topic: string;
      partition: number;
      attempt: number;
      waitMs: number;
      code: string;
      error: string;
    }
  | { type: 'committed'; stage: string; topic: string; partition: number; offset: string }
  | { type: 'lag'; stage: string; topic: string; partition: number; lag: number }
  | { type: 'joined'; stage: string; groupId: string; assignment: Record<string, number[]> }
  | { type: 'crashed'; stage: string; error: string; restart: boolean }
  /** A commit was refused because the group moved on; the batch will be redelivered to its next owner. */
  | { type: 'commit-refused'; stage: string; topic: string; partition: number; error: string };

export type Emit = (event: RuntimeEvent) => void;

/** A fan-out emitter: `emit` calls every listener; a listener that throws never breaks processing. */
export function createInstrumentation(): { emit: Emit; on: (listener: Emit) => () => void } {
  const listeners = new Set<Emit>();
  return {
    emit: (event) => {
      for (const l of listeners) {
        try {
          l(event);
        } catch {
          // instrumentation must not change what the pipeline does
        }
      }
    },
    on: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
