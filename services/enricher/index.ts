import type { Config } from '../../libs/config';
import { createCodec } from '../../libs/avro';
import type { SerializationEvent } from '../../libs/events';
import { createKafka } from '../../libs/kafka';
import { lookupFrom, type MasterdataLookup, type MasterdataRecord } from '../../libs/masterdata';
import type { Stage } from '../../libs/runtime';
import { followCompacted, type CompactedView } from '../../libs/state';
import { topics } from '../../libs/topics';
import { handleEnrich } from './handler';

export function enricherStage(config: Config): Stage<SerializationEvent, MasterdataLookup> {
  let view: CompactedView<MasterdataRecord> | undefined;
  return {
    name: 'enricher',
    topics: [topics.unique.name],
    start: async () => {
      const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: 'unitrail-enricher-state' });
      view = await followCompacted({
        kafka,
        codec: createCodec({ url: config.schemaRegistryUrl }),
        topic: topics.masterdata.name,
        name: 'enricher',
      });
      await view.ready;
    },
    prepare: async () => lookupFrom((k) => view!.get(k)),
    handle: handleEnrich,
    stop: async () => view?.stop(),
    health: () => ({ masterdata: view?.size() ?? 0 }),
  };
}
