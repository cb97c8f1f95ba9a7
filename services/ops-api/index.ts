/**
 * ops-api: the recall coordinators' and warranty teams' HTTP API (routes in server.ts).
 * Its settings, OPS_PORT and UNITRAIL_WEBHOOK_SECRET, are in libs/config with all the others.
 */
import http from 'node:http';
import { loadConfig, type Config } from '../../libs/config';
import { closeServer, listenOn, serveUntilSignalled } from '../../libs/http';
import { createLogger, type Logger } from '../../libs/log';
import { openOpsDeps, type OpsDeps } from '../../libs/recalls';
import { createOpsHandler } from './server';

export interface OpsSettings {
  port: number;
  webhookSecret: string | undefined;
}

/** OPS_PORT and UNITRAIL_WEBHOOK_SECRET, read and checked by libs/config with every other setting. */
export function opsSettings(env: NodeJS.ProcessEnv = process.env): OpsSettings {
  const { opsPort: port, webhookSecret } = loadConfig(env);
  return { port, webhookSecret };
}

export interface RunningOpsApi {
  port: number;
  stop(): Promise<void>;
}

export async function startOpsApi({
  config,
  port = opsSettings().port,
  webhookSecret = opsSettings().webhookSecret,
  log = createLogger({ service: 'ops-api' }),
  deliverOptions,
}: {
  config: Config;
  port?: number;
  webhookSecret?: string;
  log?: Logger;
  /** Webhook delivery tunables (tests shorten the back-off). */
  deliverOptions?: OpsDeps['deliverOptions'];
}): Promise<RunningOpsApi> {
  const deps = await openOpsDeps(config, { webhookSecret });
  if (deliverOptions) deps.deliverOptions = deliverOptions;
  const handler = createOpsHandler({ deps, log, ownSources: config.ownSources });
  const server = http.createServer((req, res) => void handler.handle(req, res));
  const bound = await listenOn(server, { port, service: 'ops API', portSetting: 'OPS_PORT' });
  log.info('ops API listening', { port: bound });
  let stopped: Promise<void> | undefined;
  return {
    port: bound,
    stop: () =>
      (stopped ??= (async () => {
        await closeServer(server);
        await deps.close();
        log.info('stopped');
      })()),
  };
}

/** `unitrail run ops-api`: serves until SIGTERM/SIGINT, then stops cleanly. */
export async function runOpsApi(config: Config): Promise<void> {
  await serveUntilSignalled(() => startOpsApi({ config }));
}
