import type { Config } from '../../libs/config';
import type { SerializationEvent } from '../../libs/events';
import type { InputRecord, Stage } from '../../libs/runtime';
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

export function deduplicatorStage(config: Config): Stage<SerializationEvent, Claims> {
  let seenSet!: SeenSet;
  let redisUp = true;
  return {
    name: 'deduplicator',
    topics: [topics.validated.name],
    start: async () => {
      const prefix = await seenSetPrefix(
        createKafka({ ...kafkaConnection(config), clientId: 'unitrail-deduplicator-admin' }),
      );
      seenSet = createSeenSet({ ...redisConnection(config), ttlSeconds: config.dedupTtlSeconds, prefix });
    },
    // The claim is the only effect; a Redis failure is retriable, so the batch waits, unchecked events never pass.
    prepare: async (records) => {
      try {
        const results = await seenSet.claim(claimsOf(records));
        redisUp = true;
        return new Map(records.map((r, i) => [r, results[i]!]));
      } catch (err) {
        redisUp = false;
        throw err;
      }
    },
    handle: (record, claims) => handleClaimed(record, claims.get(record)),
    stop: async () => seenSet?.close(),
    health: () => ({ redis: redisUp ? 'up' : 'unreachable, retrying' }),
  };
}
