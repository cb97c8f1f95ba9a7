/** dlq-sink: keeps ut.dlq.v1 queryable in PostgreSQL (ut.dlq) for `unitrail dlq list/show/replay` and stats. */
import type { Config } from '../../libs/config';
import type { Stage } from '../../libs/runtime';
import { poolFor, writeDlq, type DlqRow } from '../../libs/store';
import { topics } from '../../libs/topics';

export function dlqSinkStage(config: Config): Stage<DlqRow> {
  const pool = poolFor(config, { max: 2 });
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
