/**
 * capture-api: the EPCIS 2.0 REST capture binding (POST /capture → 202 + job; GET /capture/{id}).
 * Documents in, one EpcisEventEnvelope per accepted event out on ut.raw.epcis.v1, from where the
 * validator takes them like any other source.
 * Its settings, CAPTURE_PORT and CAPTURE_MAX_BYTES, are in libs/config with all the others.
 */
import http from 'node:http';
import { loadConfig, type Config } from '../../libs/config';
import { createCodec } from '../../libs/avro';
import { DependencyError } from '../../libs/errors';
import { closeServer, listenOn, serveUntilSignalled } from '../../libs/http';
import { createKafka, kafkaConnection } from '../../libs/kafka';
import { createLogger, type Logger } from '../../libs/log';
import { poolFor } from '../../libs/store';
import { warmSchema } from '../../libs/epcis';
import { createCaptureHandler } from './server';
import { createPublisher } from '../../libs/sources';
import { createDispatcher } from '../../libs/epcis-query';
import { createQueryRoutes } from './query';

export interface CaptureSettings {
  port: number;
  maxBytes: number;
}

/** CAPTURE_PORT and CAPTURE_MAX_BYTES, read and checked by libs/config with every other setting. */
export function captureSettings(env: NodeJS.ProcessEnv = process.env): CaptureSettings {
  const { capturePort: port, captureMaxBytes: maxBytes } = loadConfig(env);
  return { port, maxBytes };
}

export interface RunningCaptureApi {
  port: number;
  /** Stops taking requests, finishes publishing the jobs in hand, disconnects. */
  stop(): Promise<void>;
}

export async function startCaptureApi({
  config,
  port = captureSettings().port,
  maxBytes = captureSettings().maxBytes,
  log = createLogger({ service: 'capture-api' }),
}: {
  config: Config;
  port?: number;
  maxBytes?: number;
  log?: Logger;
}): Promise<RunningCaptureApi> {
  // Partners' queries and captures: connections stay open between requests (createPool's keepIdle).
  const pool = poolFor(config, { max: 8, keepIdle: true });
  const publisher = createPublisher({
    kafka: createKafka({ ...kafkaConnection(config), clientId: 'unitrail-capture-api' }),
    codec: createCodec({ url: config.schemaRegistryUrl }),
  });
  try {
    await publisher.connect();
  } catch (err) {
    await pool.end();
    throw new DependencyError('kafka', `cannot connect (is the stack up? 'unitrail stack up')`, err);
  }
  if (config.ownSources.includes('EPCIS')) {
    log.warn(
      'OWN_SOURCES includes EPCIS: the validator checks master data the capture API cannot see, so events it rejects for that reach the DLQ, not the capture job',
    );
  }
  // GS1's JSON Schema takes seconds to compile: before the first request, not during it.
  warmSchema();
  const dispatcher = createDispatcher({ pool, databaseUrl: config.databaseUrl, log });
  const query = createQueryRoutes({ pool, log, dispatcher, maxBytes });
  const handler = createCaptureHandler({
    pool,
    publisher,
    maxBytes,
    log,
    query,
    rules: () => ({
      now: Date.now(),
      clockSkewMs: config.clockSkewSeconds * 1000,
      horizonMs: config.horizonDays * 86_400_000,
      ownSources: config.ownSources,
    }),
  });
  const server = http.createServer((req, res) => void handler.handle(req, res));
  server.on('upgrade', (req, socket, head) => query.upgrade(req, socket, head));
  const bound = await listenOn(server, { port, service: 'capture API', portSetting: 'CAPTURE_PORT' });
  await dispatcher.start();
  log.info('capture API listening', { port: bound, maxBytes });

  let stopped: Promise<void> | undefined;
  return {
    port: bound,
    stop: () =>
      (stopped ??= (async () => {
        log.info('stopping: no new captures, finishing the jobs in hand');
        const closed = closeServer(server);
        query.close();
        await dispatcher.stop();
        await handler.drain();
        await closed;
        await publisher.close();
        await pool.end();
        log.info('stopped');
      })()),
  };
}

/** `unitrail run capture-api`: serves until SIGTERM/SIGINT, then stops cleanly. */
export async function runCaptureApi(config: Config): Promise<void> {
  await serveUntilSignalled(() => startCaptureApi({ config }));
}
