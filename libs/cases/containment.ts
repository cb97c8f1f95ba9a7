/**
 * Containment: a playbook's action reroutes the case's goods.
 *
 * 1. The decision goes into the ledger as an EPCIS 2.0 ObjectEvent, sent through the pipeline like
 *    any captured event (an envelope on ut.raw.epcis.v1): action OBSERVE, bizStep `holding` (CBV: the
 *    goods are held, not available for the business process) and the playbook's disposition
 *    (`non_sellable_other` by default: not to be sold, for a reason other than the CBV's specific
 *    ones; `recalled` for a quarantine breach), where the goods are now, with a `location`
 *    destination naming the containment zone and the case as a business transaction.
 * 2. A directive goes to the WMS on ut.wms.directives.v1 (avro/wms-directive.avsc): move these
 *    units and containers from here to the containment zone, and why.
 * The WMS's own later events (say a PUTAWAY at the zone's GLN) then show which items arrived.
 */
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import type { Codec } from '../avro';
import { toSerializationEvent, type EpcisEvent } from '../epcis';
import { eventKey } from '../events';
import { UsageError } from '../errors';
import { hasValidCheckDigit, toDigitalLink } from '../gs1';
import type { Publisher } from '../sources';
import { topics } from '../topics';
import type { Playbook } from './playbook';
import type { CaseRow } from './store';

export const CASE_BIZ_TRANSACTION_TYPE = 'urn:unitrail:btt:exception-case';
export const caseTransaction = (caseId: string) => `urn:unitrail:case:${caseId}`;

export interface WmsDirective {
  directiveId: string;
  caseId: string;
  units: string[];
  containers: string[];
  from: string | null;
  to: string;
  reason: string;
  issuedAt: number;
}

/** An SSCC in Digital Link form (a case or pallet, moved whole). */
const isContainer = (uri: string) => /\/00\/\d{18}$/.test(uri);

/** The event and the directive of a containment. Pure: time, place and ids are given. */
export function containmentPlan(
  c: Pick<CaseRow, 'case_id' | 'units' | 'subject'>,
  playbook: Playbook,
  { at, seq, to, from }: { at: number; seq: number; to?: string | null; from: string | null },
): { event: EpcisEvent; eventId: string; key: string; directive: WmsDirective } {
  const plan = playbook.containment;
  if (!plan) throw new UsageError(`the ${playbook.kind} playbook has no containment`);
  const target = to?.trim() || plan.location;
  if (!/^\d{13}$/.test(target) || !hasValidCheckDigit(target))
    throw new UsageError(`--to ${target} must be a 13-digit GLN with a valid check digit`);
  const items = [...new Set(c.units.length > 0 ? c.units : c.subject ? [c.subject] : [])];
  if (items.length === 0) throw new UsageError(`case ${c.case_id} names no unit or container to contain`);
  const epcList = items.map((i) => {
    try {
      return toDigitalLink(i);
    } catch {
      throw new UsageError(`case ${c.case_id}: ${i} is not a GS1 key; the containment cannot name it`);
    }
  });
  const destination = toDigitalLink(`(414)${target}`);
  const event = {
    type: 'ObjectEvent',
    eventTime: new Date(at).toISOString(),
    eventTimeZoneOffset: '+00:00',
    epcList,
    action: 'OBSERVE',
    bizStep: plan.bizStep,
    disposition: plan.disposition,
    ...(from ? { readPoint: { id: from }, bizLocation: { id: from } } : {}),
    destinationList: [{ type: 'location', destination }],
    bizTransactionList: [{ type: CASE_BIZ_TRANSACTION_TYPE, bizTransaction: caseTransaction(c.case_id) }],
  } as EpcisEvent;
  const mapped = toSerializationEvent(event, {
    lineage: { topic: topics.rawEpcis.name, partition: -1, offset: -1, schemaId: 0 },
  });
  return {
    event,
    eventId: mapped.eventId,
    key: eventKey(mapped),
    directive: {
      directiveId: `${c.case_id}:${seq}`,
      caseId: c.case_id,
      units: epcList.filter((u) => !isContainer(u)),
      containers: epcList.filter(isContainer),
      from,
      to: target,
      reason: plan.reason,
      issuedAt: at,
    },
  };
}

export interface ContainDeps {
  publisher: Publisher;
  kafka: Kafka;
  codec: Codec;
}

/** Sends a directive to the WMS topic (acks=all). */
export async function sendDirective(kafka: Kafka, codec: Codec, d: WmsDirective): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({
      topic: topics.wmsDirectives.name,
      acks: -1,
      messages: [{ key: d.caseId, value: await codec.encode(topics.wmsDirectives.name, d) }],
    });
  } finally {
    await producer.disconnect();
  }
}

/**
 * Performs the containment inside the step's transaction: the EPCIS event into the pipeline, the
 * directive to the WMS, the directive recorded for the arrival check. Returns what the history keeps.
 */
export function containWith(
  deps: ContainDeps,
  { to, requestedBy, now = () => Date.now() }: { to?: string; requestedBy: string; now?: () => number },
) {
  return async (
    client: pg.PoolClient,
    c: CaseRow,
    playbook: Playbook,
    seq: number,
  ): Promise<Record<string, unknown>> => {
    const first = c.units[0] ?? c.subject;
    const where = first
      ? ((
          await client.query<{ biz_location: string | null }>(
            'SELECT biz_location FROM ut.unit_state WHERE uri = $1',
            [first],
          )
        ).rows[0]?.biz_location ?? null)
      : null;
    const at = now();
    const plan = containmentPlan(c, playbook, { at, seq, to, from: where });
    const [record] = await deps.publisher.publish([
      {
        key: plan.key,
        envelope: {
          captureId: `containment-${plan.directive.directiveId}`,
          eventIndex: 0,
          documentFormat: 'json',
          event: JSON.stringify(plan.event),
          namespaces: {},
          receivedAt: at,
          producer: requestedBy,
        },
      },
    ]);
    await sendDirective(deps.kafka, deps.codec, plan.directive);
    const d = plan.directive;
    await client.query(
      `INSERT INTO ut.case_directives (directive_id, case_id, units, containers, from_location, to_location, reason, event_ids, issued_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (directive_id) DO NOTHING`,
      [
        d.directiveId,
        d.caseId,
        d.units,
        d.containers,
        d.from,
        d.to,
        d.reason,
        [plan.eventId],
        new Date(d.issuedAt),
      ],
    );
    return { eventId: plan.eventId, record, directive: d };
  };
}
