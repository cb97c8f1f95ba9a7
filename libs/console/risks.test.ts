import { riskIndicators } from './risks';
import type { RecallSummary } from './recalls';
import type { Sample } from './feed';
import { withDefaults } from '../recalls';

const recall = (over: Partial<RecallSummary> = {}): RecallSummary => ({
  recall: withDefaults({
    recallId: 'R-7',
    reason: 'seal',
    gtin: '04012345100019',
    lots: ['L1'],
    declaredBy: 'coord',
  }),
  units: 10000,
  located: 9812,
  byStatus: {},
  atPartners: 300,
  atPartnersNotNotified: 120,
  notices: { sent: 1, failed: 0, pending: 0 },
  surgeEvents: 0,
  surge: { lag: 0, position: 0 },
  ...over,
});
const none = { devices: [], alerts: [], cases: [], openByKind: {} };
const sample = (lag: Record<string, number>): Sample => ({
  t: 0,
  rates: {},
  lag,
  landedPerSec: 0,
  dlqPerSec: 0,
  duplicatesPerSec: 0,
  latencyP50Ms: null,
  latencyP99Ms: null,
});

describe('riskIndicators', () => {
  it('says how many units of an active recall are located and how many partners still wait', () => {
    const [first] = riskIndicators({
      recalls: [recall()],
      dlqRecent: [],
      lag: {},
      history: [],
      devices: none,
    });
    expect(first).toEqual({
      level: 'critical',
      view: 'recalls',
      text: 'Recall R-7: 9,812 of 10,000 units located, 120 at partners not yet notified',
    });
  });

  it('leaves closed recalls out and names DLQ bursts by reason and source', () => {
    const out = riskIndicators({
      recalls: [recall({ recall: { ...recall().recall, status: 'closed' } })],
      dlqRecent: [{ reason: 'UNKNOWN_GTIN', source: 'WMS', n: 8 }],
      lag: {},
      history: [],
      devices: none,
    });
    expect(out.map((r) => r.text)).toEqual(['DLQ: UNKNOWN_GTIN from WMS x8 in the last 10 min']);
  });

  it('calls a lag over the threshold growing when it was smaller ten samples ago', () => {
    const history = Array.from({ length: 11 }, (_, i) => sample({ 'ut.router': i * 100 }));
    const out = riskIndicators({
      recalls: [],
      dlqRecent: [],
      lag: { 'ut.router': 5000, 'ut.enricher': 10 },
      history,
      devices: none,
    });
    expect(out).toEqual([
      { level: 'critical', view: 'now', text: 'Lag: ut.router 5,000 records behind and growing' },
    ]);
  });

  it('lists open device alerts and counts the open exception cases by kind', () => {
    const out = riskIndicators({
      recalls: [],
      dlqRecent: [],
      lag: {},
      history: [],
      devices: {
        devices: [],
        cases: [],
        openByKind: { DAMAGED_LABEL: 2, DEVICE_FAULT: 1 },
        alerts: [
          {
            alertId: 'a1',
            device: 'P-3',
            site: null,
            kind: 'device_degrading',
            metric: 'print_grade',
            value: 2.1,
            baseline: 3.6,
            since: '2026-03-01T14:02:00.000Z',
            clearedAt: null,
            ackedAt: null,
            ackedBy: null,
            ackNote: null,
          },
          {
            alertId: 'a2',
            device: 'S-9',
            site: null,
            kind: 'device_degrading',
            metric: 'no_read_rate',
            value: 0.12,
            baseline: 0.003,
            since: '2026-03-01T15:30:00.000Z',
            clearedAt: null,
            ackedAt: '2026-03-01T15:45:00.000Z',
            ackedBy: 'maintenance-1',
            ackNote: 'lens cleaned',
          },
        ],
      },
    });
    expect(out.map((r) => r.text)).toEqual([
      'P-3 degrading since 14:02 UTC (print grade 2.10 vs 3.60)',
      'S-9 degrading since 15:30 UTC (no read rate 0.12 vs 0.00), acknowledged by maintenance-1',
      '3 open exception cases: 2 damaged label, 1 device fault',
    ]);
  });
});
