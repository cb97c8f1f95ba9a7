/** What the CLI and the ops API need to act on cases: the store, and Kafka for containment. */
import type pg from 'pg';
import type { Kafka } from 'kafkajs';
import { createCodec, type Codec } from '../avro';
import type { Config } from '../config';
import { createKafka, kafkaConnection } from '../kafka';
import { createPublisher, type Publisher } from '../sources';
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
  const inner = createPublisher({ kafka, codec });
  let up = false;
  const publisher: Publisher = {
    get connected() {
      return inner.connected;
    },
    connect: () => inner.connect(),
    close: () => inner.close(),
    async publish(events, onProgress) {
      if (!up) {
        await inner.connect();
        up = true;
      }
      return inner.publish(events, onProgress);
    },
  };
  return {
    pool,
    kafka,
    codec,
    publisher,
    async close() {
      if (up) await inner.close();
      await pool.end();
    },
  };
}
