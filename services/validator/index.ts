import type { Config } from '../../libs/config';
import { lookupFrom, type MasterdataRecord } from '../../libs/masterdata';
import { defineStage, openStage, type Stage } from '../../libs/runtime';
import { adapters } from '../../libs/sources';
import { followState, type CompactedView } from '../../libs/state';
import { poolFor, db } from '../../libs/store';
import { rawTopics, topics } from '../../libs/topics';
import {
  aggregationReasons,
  childrenToLookUp,
  CURRENT_PARENTS_SQL,
  type Containment,
} from '../../libs/rules';
import { handleRaw, normalizeRecord, type ValidatorContext } from './handler';

export const validator = defineStage({
  name: 'validator',
  summary:
    'map each source to EPCIS, then to the canonical event; rules with reason codes; floor signals of MES/WMS records',
  inputs: rawTopics,
  outputs: [topics.validated.name, topics.signals.name],
  follows: [topics.masterdata.name],
  stores: 'reads PostgreSQL (where packed children are now)',
  handler: handleRaw,
  sourceOf: (topic) => adapters[topic]?.sourceSystem ?? null,
  open(config: Config) {
    let view: CompactedView<MasterdataRecord> | undefined;
    const pool = poolFor(config, { max: 2 });
    return {
      start: async () => {
        view = await followState(config, topics.masterdata.name, 'validator');
      },
      // Effects before the pure handler: normalise the batch once, and ask the journey store where
      // the children being packed are now, for the aggregation-consistency rule.
      prepare: async (records): Promise<ValidatorContext> => {
        const events = records.map(normalizeRecord);
        const canonical = events.map((e) => (e instanceof Error ? null : e));
        const children = childrenToLookUp(canonical);
        const current = new Map<string, Containment>();
        if (children.length > 0) {
          const rows = await db('current parents', () =>
            pool.query<{ child: string; parent: string; since: Date }>(CURRENT_PARENTS_SQL, [children]),
          );
          for (const r of rows.rows) current.set(r.child, { parent: r.parent, since: r.since.getTime() });
        }
        const aggregation = aggregationReasons(canonical, current);
        return {
          now: Date.now(),
          clockSkewMs: config.clockSkewSeconds * 1000,
          horizonMs: config.horizonDays * 86400000,
          ownSources: config.ownSources,
          masterdata: lookupFrom((k) => view!.get(k)),
          batch: new Map(records.map((r, i) => [r, { event: events[i]!, aggregation: aggregation.get(i) }])),
        };
      },
      stop: async () => {
        await view?.stop();
        await pool.end();
      },
      health: () => ({ masterdata: view?.size() ?? 0 }),
    };
  },
});

/** The validator opened to run (kept for callers that build it by hand). */
export const validatorStage = (config: Config): Stage<unknown, ValidatorContext> =>
  openStage(validator, config);
