/** dlq-sink: keeps ut.dlq.v1 queryable in PostgreSQL (ut.dlq) for `unitrail dlq list/show/replay` and stats. */
import type { Config } from '../../libs/config';
import type { Stage } from '../../libs/runtime';
import { createPool, writeDlq, type DlqRow } from '../../libs/store';
import { topics } from '../../libs/topics';

export function dlqSinkStage(config: Config): Stage<DlqRow> {
  const pool = createPool(config.databaseUrl, { max: 2 });
  return {
    name: 'dlq-sink',
    topics: [topics.dlq.name],
    handle: () => [{ kind: 'done' }],
    write: (handled) =>
      writeDlq(
        pool,
        handled.map(({ record }) => record.value),
      ),
    stop: () => pool.end(),
  };
}
