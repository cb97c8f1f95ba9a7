import type { Config } from '../../libs/config';
import type { SerializationEvent } from '../../libs/events';
import { defineStage, openStage, type InputRecord, type Stage } from '../../libs/runtime';
import { createKafka, kafkaConnection } from '../../libs/kafka';
import {
  createSeenSet,
  redisConnection,
  seenSetPrefix,
  type ClaimResult,
  type SeenSet,
} from '../../libs/seenset';
import { topics } from '../../libs/topics';
import { claimsOf, handleClaimed } from './handler';

type Claims = Map<InputRecord<SerializationEvent>, ClaimResult>;

export const deduplicator = defineStage({
  name: 'deduplicator',
  summary: 'EPCIS event hash → Redis seen-set (claimed by the raw record), duplicates dropped',
  inputs: [topics.validated.name],
  outputs: [topics.unique.name],
  stores: 'claims event hashes in the Redis seen-set',
  handler: (record: InputRecord<SerializationEvent>, claims: Claims) =>
    handleClaimed(record, claims.get(record)),
  open(config: Config) {
    let seenSet!: SeenSet;
    let redisUp = true;
    return {
      start: async () => {
        const prefix = await seenSetPrefix(
          createKafka({ ...kafkaConnection(config), clientId: 'unitrail-deduplicator-admin' }),
        );
        seenSet = createSeenSet({ ...redisConnection(config), ttlSeconds: config.dedupTtlSeconds, prefix });
      },
      // The claim is the only effect; a Redis failure is retriable, so the batch waits, unchecked events never pass.
      prepare: async (records: InputRecord<SerializationEvent>[]): Promise<Claims> => {
        try {
          const results = await seenSet.claim(claimsOf(records));
          redisUp = true;
          return new Map(records.map((r, i) => [r, results[i]!]));
        } catch (err) {
          redisUp = false;
          throw err;
        }
      },
      stop: async () => seenSet?.close(),
      health: () => ({ redis: redisUp ? 'up' : 'unreachable, retrying' }),
    };
  },
});

export const deduplicatorStage = (config: Config): Stage<SerializationEvent, Claims> =>
  openStage(deduplicator, config);
