/** What the CLI and the ops API need to act on cases: the store, and Kafka for containment. */
import type pg from 'pg';
import type { Kafka } from 'kafkajs';
import { createCodec, type Codec } from '../avro';
import type { Config } from '../config';
import { createKafka, kafkaConnection } from '../kafka';
import { lazyPublisher, type Publisher } from '../sources';
import { poolFor } from '../store';

export interface CaseDeps {
  pool: pg.Pool;
  kafka: Kafka;
  codec: Codec;
  publisher: Publisher;
  close(): Promise<void>;
}

/** Kafka is connected only when a containment needs it. */
export function openCaseDeps(config: Config, { poolSize = 2, clientId = 'unitrail-cases' } = {}): CaseDeps {
  const pool = poolFor(config, { max: poolSize });
  const kafka = createKafka({ ...kafkaConnection(config), clientId });
  const codec = createCodec({ url: config.schemaRegistryUrl });
  const publisher = lazyPublisher({ kafka, codec });
  return {
    pool,
    kafka,
    codec,
    publisher,
    async close() {
      await publisher.close();
      await pool.end();
    },
  };
}

/** Runs `fn` with the cases' connections (`unitrail exceptions ...`), then closes them. */
export async function withCaseDeps<T>(config: Config, fn: (deps: CaseDeps) => Promise<T>): Promise<T> {
  const deps = openCaseDeps(config);
  try {
    return await fn(deps);
  } finally {
    await deps.close();
  }
}
