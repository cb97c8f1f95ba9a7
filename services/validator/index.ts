import type { Config } from '../../libs/config';
import { createCodec } from '../../libs/avro';
import { createKafka } from '../../libs/kafka';
import { lookupFrom, type MasterdataRecord } from '../../libs/masterdata';
import type { Stage } from '../../libs/runtime';
import { followCompacted, type CompactedView } from '../../libs/state';
import { rawTopics, topics } from '../../libs/topics';
import { handleRaw, type ValidatorContext } from './handler';
import { adapters } from '../../libs/sources';

export function validatorStage(config: Config): Stage<unknown, ValidatorContext> {
  let view: CompactedView<MasterdataRecord> | undefined;
  return {
    name: 'validator',
    topics: rawTopics,
    start: async () => {
      const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: 'unitrail-validator-state' });
      view = await followCompacted({
        kafka,
        codec: createCodec({ url: config.schemaRegistryUrl }),
        topic: topics.masterdata.name,
        name: 'validator',
      });
      await view.ready;
    },
    prepare: async () => ({
      now: Date.now(),
      clockSkewMs: config.clockSkewSeconds * 1000,
      horizonMs: config.horizonDays * 86400000,
      masterdata: lookupFrom((k) => view!.get(k)),
      ownSources: config.ownSources,
    }),
    handle: handleRaw,
    sourceOf: (topic) => adapters[topic]?.sourceSystem ?? null,
    stop: async () => view?.stop(),
    health: () => ({ masterdata: view?.size() ?? 0 }),
  };
}
