import { parseDocument } from '../epcis';
import { withDefaults } from '.';
import {
  countsOf,
  type Custodian,
  custodianAt,
  deriveStatus,
  formatCsv,
  formatEpcis,
  reportSql,
  type AffectedUnit,
  type Parties,
  type RecallReport,
} from './report';
import { scopeSql } from './store';
import { quarantineEvents } from './quarantine';

const DC = 'https://id.gs1.org/414/4012345000023';
const PLANT = 'https://id.gs1.org/414/4012345000016';
const STORE = 'https://id.gs1.org/414/4012345000030';
const parties: Parties = {
  sites: new Map<string, { name: string; attributes: Record<string, string> }>([
    ['4012345000016', { name: 'Berlin plant', attributes: {} }],
    ['4012345000023', { name: 'Chicago DC', attributes: {} }],
    ['4012345000030', { name: 'Store 3', attributes: { partner: 'retail-co' } }],
  ]),
  partners: new Map<string, { name: string; attributes: Record<string, string> }>([
    ['dist-co', { name: 'Distribution Co', attributes: { glns: '4012345000023' } }],
    ['retail-co', { name: 'Retail Co', attributes: {} }],
  ]),
};
const NOW = Date.UTC(2026, 5, 1);
const DAY = 86_400_000;

describe('custody', () => {
  it('is the partner a site names, or the partner that lists the GLN, else our own site', () => {
    expect(custodianAt(STORE, parties)).toEqual({ kind: 'partner', id: 'retail-co', name: 'Retail Co' });
    expect(custodianAt(DC, parties)).toEqual({ kind: 'partner', id: 'dist-co', name: 'Distribution Co' });
    expect(custodianAt(PLANT, parties)).toEqual({ kind: 'site', id: '4012345000016', name: 'Berlin plant' });
    expect(custodianAt('https://id.gs1.org/414/4012345000047', parties)).toMatchObject({ kind: 'unknown' });
    expect(custodianAt(null, parties)).toBeNull();
  });
});

describe('status', () => {
  const plant = { kind: 'site' as const, id: '4012345000016', name: 'Berlin plant' };
  const partner = { kind: 'partner' as const, id: 'dist-co', name: 'Distribution Co' };
  const status = (
    bizStep: string | null,
    disposition: string | null,
    custodian: Custodian = plant,
    since = NOW - DAY,
  ) => deriveStatus({ bizStep, disposition, since, custodian, now: NOW });

  it('reads the last business step and disposition', () => {
    expect(status('commissioning', 'active')).toBe('in stock');
    expect(status('packing', 'in_progress')).toBe('in stock');
    expect(status('shipping', 'in_transit')).toBe('in transit');
    expect(status('arriving', 'in_transit', partner)).toBe('in transit');
    expect(status('receiving', 'in_progress', partner)).toBe('delivered to a partner');
    expect(status('retail_selling', 'retail_sold', partner)).toBe('sold');
    expect(status('holding', 'recalled')).toBe('quarantined');
    expect(status(null, 'non_sellable_other')).toBe('quarantined');
    expect(status('destroying', 'destroyed')).toBe('unknown');
  });
  it('says unknown for goods in transit for weeks, and for units without a state', () => {
    expect(status('departing', 'in_transit', partner, NOW - 30 * DAY)).toBe('unknown');
    expect(deriveStatus({ bizStep: null, disposition: null, since: null, custodian: null, now: NOW })).toBe(
      'unknown',
    );
  });
  it('accepts CBV URIs as well as bare terms', () => {
    expect(
      status('https://ref.gs1.org/cbv/BizStep-shipping', 'https://ref.gs1.org/cbv/Disp-in_transit'),
    ).toBe('in transit');
  });
});

const unit = (serial: string, over: Partial<AffectedUnit> = {}): AffectedUnit => ({
  unit: `https://id.gs1.org/01/04012345100013/21/${serial}`,
  serial,
  lot: 'L1',
  containers: ['https://id.gs1.org/00/240123450000000011', 'https://id.gs1.org/00/140123450000000004'],
  location: DC,
  locationName: 'Chicago DC',
  custodian: { kind: 'partner', id: 'dist-co', name: 'Distribution Co' },
  status: 'delivered to a partner',
  since: NOW - DAY,
  bizStep: 'receiving',
  disposition: 'in_progress',
  ...over,
});
const recall = withDefaults({
  recallId: 'R1',
  gtin: '04012345100013',
  lots: ['L1'],
  reason: 'glass splinters',
});
const reportOf = (units: AffectedUnit[]): RecallReport => ({
  recall,
  generatedAt: NOW,
  units,
  queryMs: 1,
  ...countsOf(units),
});
const units = [
  unit('1'),
  unit('2'),
  unit('3', {
    location: PLANT,
    locationName: 'Berlin plant',
    custodian: { kind: 'site', id: '4012345000016', name: 'Berlin plant' },
    status: 'in stock',
    containers: [],
  }),
  unit('4', {
    status: 'sold',
    custodian: { kind: 'partner', id: 'retail-co', name: 'Retail Co' },
    location: STORE,
  }),
];

describe('the report', () => {
  it('counts by site, partner and status', () => {
    const { bySite, byPartner, byStatus } = countsOf(units);
    expect(bySite).toEqual([
      { location: DC, name: 'Chicago DC', units: 2 },
      { location: PLANT, name: 'Berlin plant', units: 1 },
      { location: STORE, name: 'Chicago DC', units: 1 },
    ]);
    expect(byPartner).toEqual([
      { partner: 'dist-co', name: 'Distribution Co', units: 2 },
      { partner: 'retail-co', name: 'Retail Co', units: 1 },
    ]);
    expect(byStatus).toEqual({ 'delivered to a partner': 2, 'in stock': 1, sold: 1 });
  });
  it('writes CSV with one row per unit and its container chain', () => {
    const lines = formatCsv(reportOf(units)).trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^unit,serial,lot,status,since,location/);
    expect(lines[1]).toContain(
      'https://id.gs1.org/00/240123450000000011,https://id.gs1.org/00/140123450000000004',
    );
  });
  it('writes an EPCIS 2.0 document that parses, one event per place, container and status', () => {
    const doc = parseDocument(formatEpcis(reportOf(units)));
    expect(doc.format).toBe('json');
    expect(doc.events).toHaveLength(3);
    expect(doc.events.flatMap((e) => e.epcList as string[]).sort()).toEqual(units.map((u) => u.unit).sort());
  });
  it('selects a lot through the (gtin, lot) index and a serial list through the key', () => {
    expect(scopeSql(recall).where).toBe(`s.scheme = 'sgtin' AND s.gtin = $1 AND s.lot = ANY($2::text[])`);
    const bySerial = scopeSql({ ...recall, lots: [], serials: ['7'] });
    expect(bySerial.params[1]).toEqual(['https://id.gs1.org/01/04012345100013/21/7']);
    expect(scopeSql({ ...recall, deviceId: 'line-1' }).where).toContain('e.machine_id = $3');
    expect(reportSql('true')).toContain('s3.container_uri AS c4');
  });
});

describe('quarantine events', () => {
  it('holds every unit not sold or held already, one event per place, valid EPCIS naming the recall', () => {
    const events = quarantineEvents(recall, units, { at: NOW });
    expect(events.map((e) => e.units)).toEqual([2, 1]);
    expect(events[0]!.event).toMatchObject({
      bizStep: 'holding',
      disposition: 'recalled',
      bizLocation: { id: DC },
      bizTransactionList: [{ bizTransaction: 'urn:unitrail:recall:R1' }],
    });
    expect(events[0]!.eventId).toMatch(/^ni:\/\/\/sha-256;/);
  });
  it('keeps to one site when asked, and splits large places', () => {
    expect(quarantineEvents(recall, units, { at: NOW, site: '4012345000016' }).map((e) => e.units)).toEqual([
      1,
    ]);
    expect(quarantineEvents(recall, units, { at: NOW, perEvent: 1 })).toHaveLength(3);
  });
});
