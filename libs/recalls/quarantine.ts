/**
 * Quarantine: one EPCIS ObjectEvent (bizStep holding, disposition recalled) per place for the units
 * of a recall that are there, sent into the pipeline as raw EPCIS records (ut.raw.epcis.v1) so that
 * they land in the ledger like any other event. Each names the recall as a business transaction,
 * which puts it in the recall's scope at the router (surge topic, recall id on the ledger row).
 */
import crypto from 'node:crypto';
import type pg from 'pg';
import { toSerializationEvent, type EpcisEvent } from '../epcis';
import { eventKey } from '../events';
import type { EpcisEventEnvelope } from '../sources';
import { db } from '../store';
import { topics } from '../topics';
import { recallTransaction, RECALL_BIZ_TRANSACTION_TYPE, type Recall } from './recall';
import { glnOf, type AffectedUnit } from './report';

export type QuarantineDisposition = 'recalled' | 'non_sellable_other';

export interface QuarantineEvent {
  eventId: string;
  key: string;
  event: EpcisEvent;
  units: number;
}

/** Units a quarantine holds: not sold (out of reach) and not held already. */
export const toQuarantine = (u: AffectedUnit, site: string | null) =>
  u.status !== 'sold' && u.status !== 'quarantined' && (site === null || glnOf(u.location) === site);

/** The events of a quarantine, at most `perEvent` units each. Pure: the time is given. */
export function quarantineEvents(
  recall: Recall,
  units: AffectedUnit[],
  {
    at,
    site = null,
    disposition = 'recalled',
    perEvent = 500,
  }: { at: number; site?: string | null; disposition?: QuarantineDisposition; perEvent?: number },
): QuarantineEvent[] {
  const byPlace = new Map<string | null, string[]>();
  for (const u of units) {
    if (!toQuarantine(u, site)) continue;
    byPlace.set(u.location, [...(byPlace.get(u.location) ?? []), u.unit]);
  }
  const out: QuarantineEvent[] = [];
  for (const [place, uris] of byPlace) {
    for (let i = 0; i < uris.length; i += perEvent) {
      const epcList = uris.slice(i, i + perEvent);
      const event: EpcisEvent = {
        type: 'ObjectEvent',
        eventTime: new Date(at).toISOString(),
        eventTimeZoneOffset: '+00:00',
        epcList,
        action: 'OBSERVE',
        bizStep: 'holding',
        disposition,
        ...(place ? { readPoint: { id: place }, bizLocation: { id: place } } : {}),
        bizTransactionList: [
          { type: RECALL_BIZ_TRANSACTION_TYPE, bizTransaction: recallTransaction(recall.recallId) },
        ],
      } as EpcisEvent;
      const mapped = toSerializationEvent(event, {
        lineage: { topic: topics.rawEpcis.name, partition: -1, offset: -1, schemaId: 0 },
      });
      out.push({ eventId: mapped.eventId, key: eventKey(mapped), event, units: epcList.length });
    }
  }
  return out;
}

/** What publishes raw EPCIS records (the capture API's publisher): resolves with each record's coordinates. */
export type PublishEpcis = (events: { key: string; envelope: EpcisEventEnvelope }[]) => Promise<string[]>;

export interface QuarantineResult {
  events: number;
  units: number;
  eventIds: string[];
  records: string[];
}

/** Publishes the events and records the run in ut.recall_quarantines. */
export async function publishQuarantine(
  pool: pg.Pool,
  publish: PublishEpcis,
  recall: Recall,
  events: QuarantineEvent[],
  { site = null, requestedBy = null, at }: { site?: string | null; requestedBy?: string | null; at: number },
): Promise<QuarantineResult> {
  const runId = `quarantine-${recall.recallId}-${crypto.randomUUID()}`;
  const records = await publish(
    events.map((e, i) => ({
      key: e.key,
      envelope: {
        captureId: runId,
        eventIndex: i,
        documentFormat: 'json',
        event: JSON.stringify(e.event),
        namespaces: {},
        receivedAt: at,
        producer: requestedBy ?? 'unitrail-recall',
      },
    })),
  );
  const units = events.reduce((n, e) => n + e.units, 0);
  const eventIds = events.map((e) => e.eventId);
  await db('quarantine record', () =>
    pool.query(
      `INSERT INTO ut.recall_quarantines (recall_id, site, units, event_ids, records, requested_by)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [recall.recallId, site, units, eventIds, records, requestedBy],
    ),
  );
  return { events: events.length, units, eventIds, records };
}
