/** `unitrail bench console`: event-to-screen time through the whole pipeline and the console's live feed. */
import os from 'node:os';
import path from 'node:path';
import type { Command } from '../command';
import { optString } from '../command';
import { loadConfig } from '../../../libs/config';
import { UsageError } from '../../../libs/errors';
import { createKafka } from '../../../libs/kafka';
import { createCodec } from '../../../libs/avro';
import { createPool } from '../../../libs/store';
import { prepareStack, stackUp } from '../../../libs/stack';
import { demoMasterdata } from '../../../libs/demo';
import { loadMasterdata } from '../../../libs/masterdata/load';
import { runConsoleBench } from '../../../libs/bench';
import { createToken, revokeToken } from '../../../libs/tokens';
import { createLogger } from '../../../libs/log';
import { startConsole } from '../../console';
import { spawnStage, stopStages } from '../../../libs/supervisor';
import { pipelineStages } from './pipeline';

const say = (line: string) => process.stderr.write(`${line}\n`);

const benchConsole: Command = {
  name: 'bench console',
  summary:
    'Event to screen: a record produced → the console live feed shows it; p50/p99 over N records, one at a time (JSON line)',
  usage: '[--events N]',
  options: { events: { type: 'string' } },
  async run(input) {
    const events = Number(optString(input, 'events') ?? 30);
    if (!Number.isInteger(events) || events < 1 || events > 10_000)
      throw new UsageError('--events must be a whole number from 1 to 10000');
    await stackUp({});
    const config = loadConfig();
    await prepareStack(config);
    const kafka = createKafka({ brokers: config.kafkaBrokers });
    const codec = createCodec({ url: config.schemaRegistryUrl });
    const pool = createPool(config.databaseUrl, { max: 2 });
    const logDir = path.join(config.stateDir, 'logs');
    await loadMasterdata(pool, kafka, codec, demoMasterdata());
    const children = pipelineStages.map((s) => spawnStage(s, logDir));
    const name = `bench-console-${os.hostname()}-${Date.now()}`;
    const { token } = await createToken(pool, { name, role: 'viewer' });
    const running = await startConsole({
      config,
      port: 0,
      host: '127.0.0.1',
      staticDir: null,
      log: createLogger({ service: 'console' }),
    });
    try {
      say(`bench console: ${events} records, one at a time; console ${running.url}; stage logs in ${logDir}`);
      const result = await runConsoleBench({
        consoleUrl: running.url,
        token,
        kafka,
        codec,
        events,
        onProgress: (done, ms) =>
          say(`bench console: ${done}/${events} ${ms === null ? 'not seen' : `${ms} ms`}`),
      });
      console.log(JSON.stringify({ ...result, tickMs: 1000 }));
      return result.timeouts === 0 ? 0 : 1;
    } finally {
      await running.stop();
      await stopStages(children);
      await revokeToken(pool, name);
      await pool.end();
    }
  },
};

export const consoleCommands: Command[] = [benchConsole];
