import type { Config } from '../../libs/config';
import type { SerializationEvent } from '../../libs/events';
import {
  createScopeMemory,
  indexRecalls,
  withDefaults,
  type Recall,
  type RecallIndex,
} from '../../libs/recalls';
import { defineStage, openStage, type InputRecord, type Stage } from '../../libs/runtime';
import { followState, type CompactedView } from '../../libs/state';
import { topics } from '../../libs/topics';
import { route, routerOutputs, type RouterContext } from './handler';

export const router = defineStage({
  name: 'router',
  summary:
    'active recalls from the compacted ut.recalls.v1 → ut.journey.v1 or ut.journey.surge.v1; exceptions; quarantine alerts',
  inputs: [topics.enriched.name],
  outputs: routerOutputs,
  follows: [topics.recalls.name],
  handler: (record: InputRecord<SerializationEvent>, ctx: RouterContext) => route(record, ctx),
  open(config: Config) {
    let view: CompactedView<Recall> | undefined;
    // The follower applies each ut.recalls.v1 record as it arrives; the index is rebuilt at the next
    // batch after a change, so a declared recall takes effect at the next batch the router handles.
    let index: { version: number; recalls: RecallIndex } = { version: -1, recalls: indexRecalls([]) };
    const memory = createScopeMemory();
    const current = (): RecallIndex => {
      if (view && view.version() !== index.version) {
        index = { version: view.version(), recalls: indexRecalls(view.values().map(withDefaults)) };
      }
      return index.recalls;
    };
    return {
      start: async () => {
        view = await followState(config, topics.recalls.name, 'router');
      },
      prepare: async (): Promise<RouterContext> => ({ recalls: current(), memory }),
      stop: async () => view?.stop(),
      health: () => ({
        activeRecalls: current().active.length,
        learnedInScope: memory.inScope.size,
      }),
    };
  },
});

export const routerStage = (config: Config): Stage<SerializationEvent, RouterContext> =>
  openStage(router, config);
