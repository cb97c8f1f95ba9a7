/**
 * What a running stack needs before the pipeline can use it: the topics of the topic registry, the
 * schemas of avro/ registered, the database migrated. Each step is idempotent. `stack up`, `init`,
 * `demo` and the benches call prepareStack explicitly; nothing is registered at import time.
 */
import type { Config } from '../config';
import { createKafka, kafkaConnection, ensureTopics } from '../kafka';
import { createCodec } from '../avro';
import { poolFor, ensureDatabase, migrate } from '../store';

export async function createTopics(config: Config): Promise<string[]> {
  return ensureTopics(createKafka({ ...kafkaConnection(config) }));
}
export async function registerSchemas(config: Config): Promise<Map<string, number>> {
  return createCodec({ url: config.schemaRegistryUrl }).registerAll();
}
export async function migrateDatabase(config: Config): Promise<string[]> {
  await ensureDatabase(config.databaseUrl);
  const pool = poolFor(config, { max: 1 });
  try {
    return await migrate(pool);
  } finally {
    await pool.end();
  }
}

export interface PreparedStep {
  step: 'topics' | 'schemas' | 'migrations';
  seconds: number;
  /** What the step did, one line each (topics created or grown, schema ids, migrations applied). */
  lines: string[];
}

/** Topics, then schemas, then migrations, in that order; `onStep` hears each as it ends. */
export async function prepareStack(
  config: Config,
  { onStep = () => {} }: { onStep?: (step: PreparedStep) => void } = {},
): Promise<PreparedStep[]> {
  const steps: Array<[PreparedStep['step'], () => Promise<string[]>]> = [
    ['topics', () => createTopics(config)],
    [
      'schemas',
      async () => [...(await registerSchemas(config))].map(([subject, id]) => `${subject}: schema id ${id}`),
    ],
    [
      'migrations',
      async () => {
        const applied = await migrateDatabase(config);
        return [applied.length ? `migrations applied: ${applied.join(', ')}` : 'database: up to date'];
      },
    ],
  ];
  const done: PreparedStep[] = [];
  for (const [step, run] of steps) {
    const t0 = Date.now();
    const lines = await run();
    const prepared = { step, seconds: (Date.now() - t0) / 1000, lines };
    onStep(prepared);
    done.push(prepared);
  }
  return done;
}
