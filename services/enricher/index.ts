import type { Config } from '../../libs/config';
import type { SerializationEvent } from '../../libs/events';
import { lookupFrom, type MasterdataLookup, type MasterdataRecord } from '../../libs/masterdata';
import { defineStage, openStage, type Stage } from '../../libs/runtime';
import { followState, type CompactedView } from '../../libs/state';
import { topics } from '../../libs/topics';
import { handleEnrich } from './handler';

export const enricher = defineStage({
  name: 'enricher',
  summary: 'master data (product, site, device, operator) from the compacted ut.masterdata.v1',
  inputs: [topics.unique.name],
  outputs: [topics.enriched.name],
  follows: [topics.masterdata.name],
  handler: handleEnrich,
  open(config: Config) {
    let view: CompactedView<MasterdataRecord> | undefined;
    return {
      start: async () => {
        view = await followState(config, topics.masterdata.name, 'enricher');
      },
      prepare: async (): Promise<MasterdataLookup> => lookupFrom((k) => view!.get(k)),
      stop: async () => view?.stop(),
      health: () => ({ masterdata: view?.size() ?? 0 }),
    };
  },
});

export const enricherStage = (config: Config): Stage<SerializationEvent, MasterdataLookup> =>
  openStage(enricher, config);
