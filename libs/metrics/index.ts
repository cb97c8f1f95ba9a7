/**
 * Prometheus metrics and the /metrics + /healthz endpoint every stage serves.
 * The counters are the stage contract's vocabulary: in, out, dlq, dropped (by reason, source, device).
 */
import http from 'node:http';
import client from 'prom-client';

export interface StageMetrics {
  registry: client.Registry;
  recordsIn: client.Counter<'stage' | 'topic'>;
  recordsOut: client.Counter<'stage' | 'topic'>;
  recordsDlq: client.Counter<'stage' | 'reason' | 'source'>;
  recordsDropped: client.Counter<'stage' | 'reason' | 'source' | 'device'>;
  batchSeconds: client.Histogram<'stage'>;
  consumerLag: client.Gauge<'stage' | 'topic' | 'partition'>;
  retries: client.Counter<'stage' | 'code'>;
}

/**
 * How often Node's event-loop delay is sampled for the `nodejs_eventloop_lag_*` metrics of a quiet
 * stage (one whose inputs are usually empty: the DLQ sink, the surge sink). prom-client samples it
 * every 10 ms by default with a timer of its own: 100 wake-ups a second, about half of an idle
 * quiet consumer's CPU. Once a second still shows a blocked loop; a busy stage keeps the default.
 */
export const QUIET_LOOP_SAMPLE_MS = 1000;

/**
 * A Prometheus registry for one service, labelled `unitrail-<name>`, with Node's default metrics;
 * `loopSampleMs` sets how often the event-loop delay is sampled (prom-client's 10 ms by default).
 */
export function serviceRegistry(
  name: string,
  { loopSampleMs }: { loopSampleMs?: number } = {},
): client.Registry {
  const registry = new client.Registry();
  registry.setDefaultLabels({ service: `unitrail-${name}` });
  client.collectDefaultMetrics({
    register: registry,
    ...(loopSampleMs === undefined ? {} : { eventLoopMonitoringPrecision: loopSampleMs }),
  });
  return registry;
}

/** A stage's metrics; a quiet stage samples its event-loop delay once a second (QUIET_LOOP_SAMPLE_MS). */
export function createStageMetrics(stage: string, { quiet = false }: { quiet?: boolean } = {}): StageMetrics {
  const registry = serviceRegistry(stage, quiet ? { loopSampleMs: QUIET_LOOP_SAMPLE_MS } : {});
  const labels = { registers: [registry] };
  return {
    registry,
    recordsIn: new client.Counter({
      name: 'unitrail_records_in_total',
      help: 'Records consumed',
      labelNames: ['stage', 'topic'],
      ...labels,
    }),
    recordsOut: new client.Counter({
      name: 'unitrail_records_out_total',
      help: 'Records produced or written',
      labelNames: ['stage', 'topic'],
      ...labels,
    }),
    recordsDlq: new client.Counter({
      name: 'unitrail_records_dlq_total',
      help: 'Records sent to the DLQ',
      labelNames: ['stage', 'reason', 'source'],
      ...labels,
    }),
    recordsDropped: new client.Counter({
      name: 'unitrail_records_dropped_total',
      help: 'Records dropped on purpose (duplicates)',
      labelNames: ['stage', 'reason', 'source', 'device'],
      ...labels,
    }),
    batchSeconds: new client.Histogram({
      name: 'unitrail_batch_seconds',
      help: 'Time from batch fetched to offsets committed',
      labelNames: ['stage'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      ...labels,
    }),
    consumerLag: new client.Gauge({
      name: 'unitrail_consumer_lag',
      help: 'Records behind the end of the partition',
      labelNames: ['stage', 'topic', 'partition'],
      ...labels,
    }),
    retries: new client.Counter({
      name: 'unitrail_retries_total',
      help: 'Batches retried after a retriable failure',
      labelNames: ['stage', 'code'],
      ...labels,
    }),
  };
}

export interface Health {
  ok: boolean;
  detail: Record<string, unknown>;
}

/** Serves GET /metrics and GET /healthz (200 when healthy, 503 otherwise). Resolves with the bound port. */
export function serveMetrics({
  port = 0,
  registry,
  health,
}: {
  port?: number;
  registry: client.Registry;
  health: () => Health;
}): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(await registry.metrics());
    } else if (req.url === '/healthz') {
      const h = health();
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: h.ok ? 'ok' : 'unhealthy', ...h.detail }));
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => {
      const addr = server.address();
      resolve({
        port: typeof addr === 'object' && addr ? addr.port : port,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}
