import type { Config } from '../../libs/config';
import type { SerializationEvent } from '../../libs/events';
import {
  createScopeMemory,
  indexRecalls,
  withDefaults,
  type Recall,
  type RecallIndex,
} from '../../libs/recalls';
import type { Stage } from '../../libs/runtime';
import { followState, type CompactedView } from '../../libs/state';
import { topics } from '../../libs/topics';
import { route, type RouterContext } from './handler';

export function routerStage(config: Config): Stage<SerializationEvent, RouterContext> {
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
    name: 'router',
    topics: [topics.enriched.name],
    start: async () => {
      view = await followState(config, topics.recalls.name, 'router');
    },
    prepare: async () => ({ recalls: current(), memory }),
    handle: route,
    stop: async () => view?.stop(),
    health: () => ({
      activeRecalls: current().active.length,
      learnedInScope: memory.inScope.size,
    }),
  };
}
