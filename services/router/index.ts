import type { Config } from '../../libs/config';
import { createCodec } from '../../libs/avro';
import type { SerializationEvent } from '../../libs/events';
import { createKafka } from '../../libs/kafka';
import type { Recall } from '../../libs/recalls';
import type { Stage } from '../../libs/runtime';
import { followCompacted, type CompactedView } from '../../libs/state';
import { topics } from '../../libs/topics';
import { route } from './handler';

export function routerStage(config: Config): Stage<SerializationEvent, Recall[]> {
  let view: CompactedView<Recall> | undefined;
  return {
    name: 'router',
    topics: [topics.enriched.name],
    start: async () => {
      const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: 'unitrail-router-state' });
      view = await followCompacted({
        kafka,
        codec: createCodec({ url: config.schemaRegistryUrl }),
        topic: topics.recalls.name,
        name: 'router',
      });
      await view.ready;
    },
    prepare: async () => view!.values().filter((r) => r.status === 'active'),
    handle: route,
    stop: async () => view?.stop(),
    health: () => ({ activeRecalls: view?.values().filter((r) => r.status === 'active').length ?? 0 }),
  };
}
