/**
 * journey-sink: writes each batch into the journey store in one transaction, then the runtime commits
 * offsets. Two consumer groups run it: `journey-sink` on ut.journey.v1 and `journey-sink-surge` on
 * ut.journey.surge.v1, scaled on its own during a recall.
 */
import type { Config } from '../../libs/config';
import type { SerializationEvent } from '../../libs/events';
import { ORIGIN_TS_HEADER, type Stage } from '../../libs/runtime';
import { poolFor, writeBatch } from '../../libs/store';
import { topics } from '../../libs/topics';

export function journeySinkStage(
  config: Config,
  { surge = false }: { surge?: boolean } = {},
): Stage<SerializationEvent> {
  const pool = poolFor(config);
  const name = surge ? 'journey-sink-surge' : 'journey-sink';
  return {
    name,
    topics: [surge ? topics.journeySurge.name : topics.journey.name],
    handle: () => [{ kind: 'done' }],
    write: async (handled) => {
      await writeBatch(
        pool,
        handled.map(({ record }) => ({
          event: record.value,
          recallId: record.headers['ut-recall-id'] ?? null,
          originTs: Number(record.headers[ORIGIN_TS_HEADER]) || null,
        })),
        name,
      );
    },
    stop: () => pool.end(),
  };
}
