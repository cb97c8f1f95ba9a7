/**
 * What a recall coordinator does, the same from the ops API and the CLI: declare, close, report,
 * quarantine (EPCIS events through the pipeline, the quarantine on the recall record, partner
 * notices), notify (libs/audit keeps who did it).
 */
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { createCodec, type Codec } from '../avro';
import type { Config } from '../config';
import { createKafka, kafkaConnection } from '../kafka';
import { alertProducer, notifyPartners, type NoticeOutcome } from './notices';
import { markQuarantined } from './declare';
import {
  publishQuarantine,
  quarantineEvents,
  type QuarantineDisposition,
  type QuarantineResult,
} from './quarantine';
import { loadParties, recallReport } from './report';
import { requireRecall } from './store';
import { UsageError } from '../errors';
import { poolFor } from '../store';
import { lazyPublisher, type Publisher } from '../sources';

export interface OpsDeps {
  pool: pg.Pool;
  kafka: Kafka;
  codec: Codec;
  /** Raw EPCIS records into the pipeline (the capture API's publisher). */
  publisher: Publisher;
  alerts: ReturnType<typeof alertProducer>;
  webhookSecret?: string;
  deliverOptions?: Parameters<typeof notifyPartners>[0]['deliverOptions'];
}

export async function openOpsDeps(
  config: Config,
  {
    webhookSecret = process.env.UNITRAIL_WEBHOOK_SECRET,
    poolSize = 8,
    clientId = 'unitrail-ops',
    keepIdle = true,
  } = {},
): Promise<OpsDeps & { close(): Promise<void> }> {
  // The ops API and the console answer people: their connections stay open between requests.
  const pool = poolFor(config, { max: poolSize, keepIdle });
  const kafka = createKafka({ ...kafkaConnection(config), clientId });
  const codec = createCodec({ url: config.schemaRegistryUrl });
  const publisher = lazyPublisher({ kafka, codec });
  const alerts = alertProducer(kafka, codec);
  return {
    pool,
    kafka,
    codec,
    alerts,
    webhookSecret: webhookSecret || undefined,
    publisher,
    async close() {
      await publisher.close();
      await alerts.close();
      await pool.end();
    },
  };
}

const GLN = /^\d{13}$/;

export interface QuarantineOutcome {
  recallId: string;
  quarantine: QuarantineResult;
  notices: NoticeOutcome[];
}

/**
 * Quarantines a recall's units (at one site, or everywhere): EPCIS events into the pipeline, the
 * quarantine on the recall record (so routers can tell a breach), then partner notices.
 */
export async function quarantine(
  deps: OpsDeps,
  recallId: string,
  {
    site = null,
    disposition = 'recalled',
    requestedBy = null,
    notify = true,
    now = Date.now(),
  }: {
    site?: string | null;
    disposition?: QuarantineDisposition;
    requestedBy?: string | null;
    notify?: boolean;
    now?: number;
  } = {},
): Promise<QuarantineOutcome> {
  if (site !== null && !GLN.test(site)) throw new UsageError(`--site ${site} must be a 13-digit GLN`);
  if (disposition !== 'recalled' && disposition !== 'non_sellable_other') {
    throw new UsageError(`disposition ${String(disposition)} must be recalled or non_sellable_other`);
  }
  const recall = await requireRecall(deps.pool, recallId);
  if (recall.status !== 'active') throw new UsageError(`recall ${recallId} is closed; nothing to quarantine`);
  const parties = await loadParties(deps.pool);
  const report = await recallReport(deps.pool, recall, { now, parties });
  const events = quarantineEvents(recall, report.units, { at: now, site, disposition });
  // The record first: a move right after the quarantine events is then already a breach.
  await markQuarantined(deps, recallId, { at: now, sites: site === null ? [] : [site] });
  const result = await publishQuarantine(deps.pool, (e) => deps.publisher.publish(e), recall, events, {
    site,
    requestedBy,
    at: now,
  });
  const notices = notify ? await notifyAll(deps, recallId, { parties, report }) : [];
  return { recallId, quarantine: result, notices };
}

/** Partner notices for a recall (each partner once; asking again sends nothing new). */
export async function notifyAll(
  deps: OpsDeps,
  recallId: string,
  given: {
    parties?: Awaited<ReturnType<typeof loadParties>>;
    report?: Awaited<ReturnType<typeof recallReport>>;
  } = {},
): Promise<NoticeOutcome[]> {
  const parties = given.parties ?? (await loadParties(deps.pool));
  const report =
    given.report ?? (await recallReport(deps.pool, await requireRecall(deps.pool, recallId), { parties }));
  return notifyPartners(
    {
      pool: deps.pool,
      parties,
      produceAlert: (a) => deps.alerts.produce(a),
      defaultSecret: deps.webhookSecret,
      deliverOptions: deps.deliverOptions,
    },
    report,
  );
}

/** Runs `fn` with the recall operations' connections (`unitrail recall ...`), then closes them. */
export async function withOpsDeps<T>(
  config: Config,
  fn: (deps: OpsDeps) => Promise<T>,
  { poolSize = 2, clientId = 'unitrail-cli-recall' } = {},
): Promise<T> {
  const deps = await openOpsDeps(config, { poolSize, clientId, keepIdle: false });
  try {
    return await fn(deps);
  } finally {
    await deps.close();
  }
}
