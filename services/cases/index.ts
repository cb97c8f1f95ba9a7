/**
 * cases: opens an exception case once per incident (docs/exceptions.md). It reads the floor's
 * signals, the DLQ, the alerts and the journey; which record is an incident is decided by the pure
 * functions of libs/cases/detect.ts, and each batch is applied to PostgreSQL in one transaction
 * before offsets are committed (a sink, like journey-sink).
 */
import type { Config } from '../../libs/config';
import { applyBatch, recentAggregations } from '../../libs/cases';
import { playbooks } from '../../libs/cases';
import { createLogger } from '../../libs/log';
import { defineStage, ORIGIN_TS_HEADER, openStage, type Handled, type Stage } from '../../libs/runtime';
import { poolFor } from '../../libs/store';
import { topics } from '../../libs/topics';

export const cases = defineStage({
  name: 'cases',
  summary:
    'exception reports, UNKNOWN_GTIN in the DLQ, quarantine and device alerts, mislabeled pallets → one case per incident',
  inputs: [
    topics.signals.name,
    topics.dlq.name,
    topics.alerts.name,
    topics.journey.name,
    topics.journeySurge.name,
    // The fused deployment's stand-in for ut.journey.v1 (libs/cases/digest.ts).
    topics.journeyDigest.name,
  ],
  outputs: [],
  stores: 'writes PostgreSQL: cases and their hash-chained history',
  handler: () => [{ kind: 'done' }],
  open(config: Config) {
    const pool = poolFor(config, { max: 2 });
    const recent = recentAggregations();
    const log = createLogger({ service: 'cases' });
    return {
      // A playbook that does not load stops the stage at start, naming the file and the field.
      start: async () => void playbooks(),
      write: async (handled: Handled<unknown>[]) => {
        const applied = await applyBatch(
          pool,
          handled.map(({ record }) => ({
            topic: record.topic,
            value: record.value,
            originTs: record.headers[ORIGIN_TS_HEADER],
          })),
          recent,
        );
        if (applied.opened.length > 0 || applied.resolved.length > 0)
          log.info('cases', { opened: applied.opened, resolved: applied.resolved });
      },
      stop: () => pool.end(),
    };
  },
});

export const casesStage = (config: Config): Stage<unknown, unknown> => openStage(cases, config);
