import type { Config } from '../../libs/config';
import type { SerializationEvent } from '../../libs/events';
import { lookupFrom, type MasterdataLookup, type MasterdataRecord } from '../../libs/masterdata';
import type { Stage } from '../../libs/runtime';
import { followState, type CompactedView } from '../../libs/state';
import { topics } from '../../libs/topics';
import { handleEnrich } from './handler';

export function enricherStage(config: Config): Stage<SerializationEvent, MasterdataLookup> {
  let view: CompactedView<MasterdataRecord> | undefined;
  return {
    name: 'enricher',
    topics: [topics.unique.name],
    start: async () => {
      view = await followState(config, topics.masterdata.name, 'enricher');
    },
    prepare: async () => lookupFrom((k) => view!.get(k)),
    handle: handleEnrich,
    stop: async () => view?.stop(),
    health: () => ({ masterdata: view?.size() ?? 0 }),
  };
}
