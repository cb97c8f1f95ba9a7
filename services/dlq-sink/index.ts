/** dlq-sink: keeps ut.dlq.v1 queryable in PostgreSQL (ut.dlq) for `unitrail dlq list/show/replay` and stats. */
import type { Config } from '../../libs/config';
import { defineStage, openStage, type Stage } from '../../libs/runtime';
import { poolFor, writeDlq, type DlqRow } from '../../libs/store';
import { topics } from '../../libs/topics';

export const dlqSink = defineStage({
  name: 'dlq-sink',
  summary: 'ut.dlq.v1 → ut.dlq, for inspection and replay',
  inputs: [topics.dlq.name],
  outputs: [],
  // Refused records are few: the DLQ topic is empty most of the time.
  quiet: true,
  stores: 'writes PostgreSQL ut.dlq',
  handler: () => [{ kind: 'done' }],
  open(config: Config) {
    const pool = poolFor(config, { max: 2 });
    return {
      write: (handled: { record: { value: DlqRow } }[]) =>
        writeDlq(
          pool,
          handled.map(({ record }) => record.value),
        ),
      stop: () => pool.end(),
    };
  },
});

export const dlqSinkStage = (config: Config): Stage<DlqRow, unknown> => openStage(dlqSink, config);
