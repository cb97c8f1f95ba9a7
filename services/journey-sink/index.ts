/**
 * journey-sink: writes each batch into the journey store in one transaction, then the runtime commits
 * offsets, extending the hash chain of the batch's partition. Two consumer groups run it: `journey-sink` on ut.journey.v1 and `journey-sink-surge` on
 * ut.journey.surge.v1, scaled on its own during a recall.
 */
import type { Config } from '../../libs/config';
import type { SerializationEvent } from '../../libs/events';
import { defineStage, openStage, ORIGIN_TS_HEADER, type Handled, type Stage } from '../../libs/runtime';
import { poolFor, writeBatch } from '../../libs/store';
import { topics } from '../../libs/topics';

const sinkOn = (name: string, input: string, summary: string, background = false) =>
  defineStage({
    name,
    summary,
    background,
    // The surge topic is empty outside a recall.
    quiet: background,
    inputs: [input],
    outputs: [],
    stores: 'writes PostgreSQL: ledger, identifiers, aggregation, unit state, hash chain',
    handler: () => [{ kind: 'done' }],
    open(config: Config) {
      const pool = poolFor(config);
      return {
        write: async (handled: Handled<SerializationEvent>[]) => {
          if (handled.length === 0) return;
          // The runtime hands over one partition's batch: that partition's hash chain.
          const first = handled[0]!.record;
          await writeBatch(
            pool,
            handled.map(({ record }) => ({
              event: record.value,
              recallId: record.headers['ut-recall-id'] ?? null,
              originTs: Number(record.headers[ORIGIN_TS_HEADER]) || null,
            })),
            name,
            { chain: `${first.topic}/${first.partition}` },
          );
        },
        stop: () => pool.end(),
      };
    },
  });

export const journeySink = sinkOn(
  'journey-sink',
  topics.journey.name,
  'one transaction per batch: ledger, identifiers, aggregation facts, unit state, hash chain',
);
export const journeySinkSurge = sinkOn(
  'journey-sink-surge',
  topics.journeySurge.name,
  'the same on the surge topic, scaled on its own during a recall',
  true,
);

export function journeySinkStage(
  config: Config,
  { surge = false }: { surge?: boolean } = {},
): Stage<SerializationEvent, unknown> {
  return openStage(surge ? journeySinkSurge : journeySink, config);
}
