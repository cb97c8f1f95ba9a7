/**
 * console: the operations console (a web page, its API and live feed, all in libs/console),
 * served on CONSOLE_PORT with the ops API's tokens and roles. The page is built by `npm run build`
 * (Vite, sources in web/) into dist/console-web.
 */
import http from 'node:http';
import path from 'node:path';
import type { Config } from '../../libs/config';
import { createConsoleHandler, createFeed } from '../../libs/console';
import { oneLine } from '../../libs/errors';
import {
  closeServer,
  listenOn,
  requestMetrics,
  serveUntilSignalled,
  withRequestMetrics,
} from '../../libs/http';
import { createLogger, type Logger } from '../../libs/log';
import { openOpsDeps } from '../../libs/recalls';
import { createSeenSet, seenSetPrefix } from '../../libs/seenset';
import { repoRoot } from '../../libs/stack';

/** The metrics' route label: the API's first segment (`/api/cases`), the page's files as one. */
const routeOf = (pathname: string) =>
  pathname === '/healthz'
    ? pathname
    : pathname.startsWith('/api/')
      ? `/api/${pathname.split('/')[2]}`
      : 'page';

export const consoleAssets = () => path.join(repoRoot(), 'dist', 'console-web');

export interface RunningConsole {
  port: number;
  url: string;
  stop(): Promise<void>;
}

export async function startConsole({
  config,
  port = config.consolePort,
  host = '0.0.0.0',
  staticDir = consoleAssets(),
  tickMs = 1000,
  groups,
  log = createLogger({ service: 'console' }),
}: {
  config: Config;
  /** Consumer group → the topics it reads: services/stages.ts `stageGroups`. */
  groups?: Record<string, string[]>;
  port?: number;
  host?: string;
  staticDir?: string | null;
  tickMs?: number;
  log?: Logger;
}): Promise<RunningConsole> {
  const deps = await openOpsDeps(config, { clientId: 'unitrail-console', poolSize: 6 });
  const seen = createSeenSet({ url: config.redisUrl, prefix: await seenSetPrefix(deps.kafka) });
  const feed = createFeed({
    pool: deps.pool,
    kafka: deps.kafka,
    seen,
    groups,
    tickMs,
    landedEveryMs: config.consoleLandedEveryMs,
    onError: (err) => log.warn('feed tick failed; trying again next tick', { error: oneLine(err) }),
  });
  const handler = createConsoleHandler({ deps, feed, log, staticDir, ownSources: config.ownSources });
  const handle = withRequestMetrics(requestMetrics('console', 'console'), handler.handle, routeOf);
  const server = http.createServer((req, res) => void handle(req, res));
  const bound = await listenOn(server, { port, host, service: 'console', portSetting: 'CONSOLE_PORT' });
  log.info('console listening', { port: bound });
  let stopped: Promise<void> | undefined;
  return {
    port: bound,
    url: `http://127.0.0.1:${bound}/`,
    stop: () =>
      (stopped ??= (async () => {
        handler.closeStreams();
        await closeServer(server, { all: true });
        await feed.stop();
        await seen.close();
        await deps.close();
      })()),
  };
}

/** `unitrail run console`: serves until SIGTERM/SIGINT, then stops cleanly. */
export async function runConsole(config: Config, groups?: Record<string, string[]>): Promise<void> {
  await serveUntilSignalled(() => startConsole({ config, groups }));
}
