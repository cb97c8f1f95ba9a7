/**
 * The affected-units report: every unit in a recall's scope with where it is now, the containers it
 * is in (case → pallet → shipment), who has custody and its status, with counts by site and partner.
 * One query over the journey store (the same walk as analyst.lot_units_now, with the chain kept);
 * custody and status are decided here, in plain functions, from master data sites and partners.
 */
import type pg from 'pg';
import { db } from '../store';
import { cbvTerm, recallTransaction, RECALL_BIZ_TRANSACTION_TYPE, type Recall } from './recall';
import { scopeSql } from './store';

export const statuses = [
  'in stock',
  'in transit',
  'delivered to a partner',
  'sold',
  'quarantined',
  'unknown',
] as const;
export type UnitStatus = (typeof statuses)[number];

export interface Custodian {
  kind: 'partner' | 'site' | 'unknown';
  id: string;
  name: string;
}

export interface AffectedUnit {
  unit: string;
  serial: string | null;
  lot: string | null;
  /** Nearest first: case, pallet, shipment... */
  containers: string[];
  /** bizLocation (else readPoint) of the newest event of the unit or a container it is in. */
  location: string | null;
  locationName: string | null;
  custodian: Custodian | null;
  status: UnitStatus;
  /** The time of the newest event, from which the status holds ("unknown since T"). */
  since: number | null;
  bizStep: string | null;
  disposition: string | null;
}

export interface RecallReport {
  recall: Recall;
  generatedAt: number;
  units: AffectedUnit[];
  bySite: { location: string | null; name: string | null; units: number }[];
  byPartner: { partner: string; name: string; units: number }[];
  byStatus: Record<string, number>;
  queryMs: number;
}

/** Master data sites and partners, by id. */
export interface Parties {
  sites: Map<string, { name: string; attributes: Record<string, string> }>;
  partners: Map<string, { name: string; attributes: Record<string, string> }>;
}

export const glnOf = (uri: string | null): string | null =>
  uri ? (/\/414\/(\d{13})/.exec(uri)?.[1] ?? /^urn:epc:id:sgln:/.exec(uri)?.[0] ?? null) : null;

const listed = (v: string | undefined) => (v ?? '').split(/[\s,;]+/).filter(Boolean);

/**
 * Who has custody at a place: the partner the site names (site attribute `partner`) or the partner
 * that lists the GLN (partner attribute `glns`); else our own site; else the GLN, unknown.
 */
export function custodianAt(place: string | null, parties: Parties): Custodian | null {
  const gln = glnOf(place);
  if (gln === null) return null;
  const site = parties.sites.get(gln);
  const partnerId =
    site?.attributes.partner ??
    [...parties.partners].find(([, p]) => listed(p.attributes.glns).includes(gln))?.[0];
  const partner = partnerId === undefined ? undefined : parties.partners.get(partnerId);
  if (partnerId !== undefined) return { kind: 'partner', id: partnerId, name: partner?.name ?? partnerId };
  if (site) return { kind: 'site', id: gln, name: site.name };
  return { kind: 'unknown', id: gln, name: gln };
}

const term = cbvTerm;
const sold = new Set(['retail_sold', 'dispensed']);
const quarantine = new Set(['recalled', 'non_sellable_other']);
const transitSteps = new Set(['shipping', 'departing', 'arriving', 'transporting', 'loading']);
/** Dispositions that say nobody can vouch for the goods any more. */
const lost = new Set(['unknown', 'stolen', 'destroyed', 'disposed', 'inactive', 'expired']);

/**
 * The status a unit's newest state says. Goods in transit longer than `staleTransitMs` are "unknown
 * since" their last event: a truck does not take weeks, so the trail has gone cold.
 */
export function deriveStatus({
  bizStep,
  disposition,
  since,
  custodian,
  now,
  staleTransitMs = 14 * 86_400_000,
}: {
  bizStep: string | null;
  disposition: string | null;
  since: number | null;
  custodian: Custodian | null;
  now: number;
  staleTransitMs?: number;
}): UnitStatus {
  const step = term(bizStep);
  const disp = term(disposition);
  if (since === null) return 'unknown';
  if (quarantine.has(disp) || (step === 'holding' && disp !== 'sellable_accessible')) return 'quarantined';
  if (sold.has(disp) || step === 'retail_selling' || step === 'dispensing') return 'sold';
  if (lost.has(disp) || step === 'decommissioning' || step === 'destroying') return 'unknown';
  if (disp === 'in_transit' || transitSteps.has(step)) {
    return now - since > staleTransitMs ? 'unknown' : 'in transit';
  }
  if (custodian?.kind === 'partner') return 'delivered to a partner';
  return 'in stock';
}

/** How many container levels the report walks up (case, pallet, shipment, one more). */
const LEVELS = 4;

/**
 * The report query: one row per unit in scope, its chain, and the newest state among them. The
 * chain follows each state's maintained container now (ut.unit_state.container_uri), one primary
 * key probe per level.
 */
export function reportSql(where: string): string {
  const joins: string[] = [];
  for (let k = 1; k <= LEVELS; k++) {
    joins.push(`LEFT JOIN ut.unit_state s${k} ON s${k}.uri = ${k === 1 ? 's' : `s${k - 1}`}.container_uri`);
  }
  const states = ['s', ...Array.from({ length: LEVELS }, (_, k) => `s${k + 1}`)];
  // The newest state wins; on a tie the nearest (the unit itself, then its case...).
  const pick = (col: string) =>
    `CASE newest.t ${states.map((x) => `WHEN ${x}.last_event_time THEN ${x}.${col}`).join(' ')} END`;
  return `SELECT s.uri, s.serial, s.lot,
       ${Array.from({ length: LEVELS }, (_, k) => `${k === 0 ? 's' : `s${k}`}.container_uri AS c${k + 1}`).join(', ')},
       newest.t AS last_event_time,
       ${pick('last_event_id')} AS last_event_id,
       COALESCE(${pick('biz_location')}, ${pick('read_point')}) AS location,
       ${pick('biz_step')} AS biz_step,
       ${pick('disposition')} AS disposition
FROM ut.unit_state s
${joins.join('\n')}
CROSS JOIN LATERAL (SELECT GREATEST(${states.map((x) => `${x}.last_event_time`).join(', ')}) AS t) newest
WHERE ${where}
ORDER BY s.uri`;
}

interface ReportRow {
  uri: string;
  serial: string | null;
  lot: string | null;
  c1: string | null;
  c2: string | null;
  c3: string | null;
  c4: string | null;
  last_event_time: Date | null;
  last_event_id: string | null;
  location: string | null;
  biz_step: string | null;
  disposition: string | null;
}

export async function loadParties(pool: pg.Pool): Promise<Parties> {
  const res = await db('master data parties', () =>
    pool.query<{ kind: string; id: string; name: string; attributes: Record<string, unknown> }>(
      `SELECT kind, id, name, attributes FROM ut.masterdata WHERE kind IN ('site', 'partner') AND NOT deleted`,
    ),
  );
  const parties: Parties = { sites: new Map(), partners: new Map() };
  for (const r of res.rows) {
    const attributes = Object.fromEntries(Object.entries(r.attributes ?? {}).map(([k, v]) => [k, String(v)]));
    (r.kind === 'site' ? parties.sites : parties.partners).set(r.id, { name: r.name, attributes });
  }
  return parties;
}

/** Last destination (a location) of each of these events: where goods in transit are going. */
async function destinations(pool: pg.Pool, eventIds: string[]): Promise<Map<string, string>> {
  if (eventIds.length === 0) return new Map();
  const res = await db('recall destinations', () =>
    pool.query<{ event_id: string; destination: string | null }>(
      `SELECT e.event_id,
              (SELECT d->>'id' FROM json_array_elements(e.record->'destinationList') d
                WHERE d->>'type' LIKE '%location' LIMIT 1) AS destination
         FROM ut.events e WHERE e.event_id = ANY($1::text[])`,
      [eventIds],
    ),
  );
  return new Map(res.rows.filter((r) => r.destination).map((r) => [r.event_id, r.destination!]));
}

export async function recallReport(
  pool: pg.Pool,
  recall: Recall,
  { now = Date.now(), parties }: { now?: number; parties?: Parties } = {},
): Promise<RecallReport> {
  const t0 = performance.now();
  const { where, params } = scopeSql(recall);
  const rows = await db('recall report', () => pool.query<ReportRow>(reportSql(where), params));
  const queryMs = performance.now() - t0;
  const who = parties ?? (await loadParties(pool));
  const inTransit = rows.rows.filter(
    (r) => term(r.disposition) === 'in_transit' || transitSteps.has(term(r.biz_step)),
  );
  const headingTo = await destinations(pool, [
    ...new Set(inTransit.map((r) => r.last_event_id!).filter(Boolean)),
  ]);
  const units = rows.rows.map((r): AffectedUnit => {
    const since = r.last_event_time?.getTime() ?? null;
    const destination = r.last_event_id ? headingTo.get(r.last_event_id) : undefined;
    const custodian = custodianAt(destination ?? r.location, who);
    const gln = glnOf(r.location);
    return {
      unit: r.uri,
      serial: r.serial,
      lot: r.lot,
      containers: [r.c1, r.c2, r.c3, r.c4].filter((c): c is string => c !== null),
      location: r.location,
      locationName: gln === null ? null : (who.sites.get(gln)?.name ?? null),
      custodian,
      status: deriveStatus({ bizStep: r.biz_step, disposition: r.disposition, since, custodian, now }),
      since,
      bizStep: r.biz_step,
      disposition: r.disposition,
    };
  });
  return { recall, generatedAt: now, units, ...countsOf(units), queryMs };
}

export function countsOf(units: AffectedUnit[]): Pick<RecallReport, 'bySite' | 'byPartner' | 'byStatus'> {
  const sites = new Map<string | null, { location: string | null; name: string | null; units: number }>();
  const partners = new Map<string, { partner: string; name: string; units: number }>();
  const byStatus: Record<string, number> = {};
  for (const u of units) {
    const s = sites.get(u.location) ?? { location: u.location, name: u.locationName, units: 0 };
    s.units++;
    sites.set(u.location, s);
    if (u.custodian?.kind === 'partner') {
      const p = partners.get(u.custodian.id) ?? { partner: u.custodian.id, name: u.custodian.name, units: 0 };
      p.units++;
      partners.set(u.custodian.id, p);
    }
    byStatus[u.status] = (byStatus[u.status] ?? 0) + 1;
  }
  const desc = <T extends { units: number }>(xs: Iterable<T>) => [...xs].sort((a, b) => b.units - a.units);
  return { bySite: desc(sites.values()), byPartner: desc(partners.values()), byStatus };
}

const GS1 = 'https://id.gs1.org/';
const short = (uri: string | null) => (uri === null ? '' : uri.startsWith(GS1) ? uri.slice(GS1.length) : uri);
const iso = (t: number | null) => (t === null ? '' : new Date(t).toISOString());

export function formatTable(report: RecallReport): string {
  const r = report.recall;
  const scope = [
    `GTIN ${r.gtin}`,
    r.lots.length ? `lots ${r.lots.join(', ')}` : '',
    r.serials.length ? `${r.serials.length} serials` : '',
    r.deviceId ? `device ${r.deviceId}` : '',
    r.fromTime !== null || r.toTime !== null
      ? `from ${iso(r.fromTime) || '…'} to ${iso(r.toTime) || '…'}`
      : '',
  ].filter(Boolean);
  const header = ['unit', 'lot', 'status', 'since', 'location', 'custodian', 'containers'];
  const rows = report.units.map((u) => [
    short(u.unit),
    u.lot ?? '',
    u.status,
    iso(u.since).slice(0, 16).replace('T', ' '),
    u.locationName ?? short(u.location),
    u.custodian?.name ?? '',
    u.containers.map(short).join(' → '),
  ]);
  const widths = header.map((h, i) => rows.reduce((m, x) => Math.max(m, x[i]!.length), h.length));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [
    `recall ${r.recallId} (${r.status}): ${scope.join(', ')}; reason: ${r.reason}`,
    `${report.units.length} units: ${Object.entries(report.byStatus)
      .map(([s, n]) => `${n} ${s}`)
      .join(', ')}`,
    `by site: ${report.bySite.map((s) => `${s.name ?? (short(s.location) || 'unknown')} ${s.units}`).join(', ')}`,
    `by partner: ${report.byPartner.map((p) => `${p.name} ${p.units}`).join(', ') || 'none'}`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ].join('\n');
}

const csvCell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export function formatCsv(report: RecallReport): string {
  const header = [
    'unit',
    'serial',
    'lot',
    'status',
    'since',
    'location',
    'location_name',
    'custodian_kind',
    'custodian_id',
    'custodian_name',
    'container_1',
    'container_2',
    'container_3',
    'container_4',
    'biz_step',
    'disposition',
  ];
  const rows = report.units.map((u) => [
    u.unit,
    u.serial ?? '',
    u.lot ?? '',
    u.status,
    iso(u.since),
    u.location ?? '',
    u.locationName ?? '',
    u.custodian?.kind ?? '',
    u.custodian?.id ?? '',
    u.custodian?.name ?? '',
    ...Array.from({ length: LEVELS }, (_, k) => u.containers[k] ?? ''),
    u.bizStep ?? '',
    u.disposition ?? '',
  ]);
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

export const UNITRAIL_NS = 'https://unitrail.dev/epcis/';

/**
 * The report as an EPCIS 2.0 JSON-LD document a partner can load: per place, container and status,
 * one ObjectEvent OBSERVE of the units there, as of the report's time, naming the recall as a
 * business transaction; the status and container chain are user extensions (prefix `ut`).
 */
export function formatEpcis(report: RecallReport): string {
  const groups = new Map<string, AffectedUnit[]>();
  for (const u of report.units) {
    const k = JSON.stringify([u.location, u.containers, u.status, u.disposition]);
    groups.set(k, [...(groups.get(k) ?? []), u]);
  }
  const at = new Date(report.generatedAt).toISOString();
  const eventList = [...groups.values()].map((units) => {
    const u = units[0]!;
    return {
      type: 'ObjectEvent',
      eventTime: at,
      eventTimeZoneOffset: '+00:00',
      recordTime: at,
      epcList: units.map((x) => x.unit),
      action: 'OBSERVE',
      ...(u.disposition ? { disposition: u.disposition } : {}),
      ...(u.location ? { readPoint: { id: u.location }, bizLocation: { id: u.location } } : {}),
      bizTransactionList: [
        { type: RECALL_BIZ_TRANSACTION_TYPE, bizTransaction: recallTransaction(report.recall.recallId) },
      ],
      'ut:recallStatus': u.status,
      'ut:statusSince': u.since === null ? null : new Date(u.since).toISOString(),
      'ut:containers': u.containers,
      ...(u.custodian ? { 'ut:custodian': { id: u.custodian.id, name: u.custodian.name } } : {}),
    };
  });
  return JSON.stringify(
    {
      '@context': ['https://ref.gs1.org/standards/epcis/epcis-context.jsonld', { ut: UNITRAIL_NS }],
      type: 'EPCISDocument',
      schemaVersion: '2.0',
      creationDate: at,
      'ut:recall': {
        recallId: report.recall.recallId,
        gtin: report.recall.gtin,
        lots: report.recall.lots,
        reason: report.recall.reason,
        units: report.units.length,
      },
      epcisBody: { eventList },
    },
    null,
    2,
  );
}

export const reportFormats = ['table', 'csv', 'epcis', 'json'] as const;
export type ReportFormat = (typeof reportFormats)[number];

/** The report in one of its formats, ending with a newline. */
export function formatReport(report: RecallReport, format: ReportFormat): string {
  const out = { table: formatTable, csv: formatCsv, epcis: formatEpcis, json: JSON.stringify }[format](
    report,
  );
  return out.endsWith('\n') ? out : `${out}\n`;
}
