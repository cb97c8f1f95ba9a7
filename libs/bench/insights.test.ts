import { prng } from '../demo';
import { insights, type IncidentRow } from '../incidents';
import { judgeRun } from './insights';

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3600_000;

/** Six devices over 20 days, each bad for a day now and then (2 an hour), else 0.02 an hour. */
function bursts(seed: number): IncidentRow[] {
  const rnd = prng(seed);
  const rows: IncidentRow[] = [];
  for (let d = 0; d < 6; d++) {
    const spells = Array.from({ length: 3 }, () => T0 + rnd() * 19 * 24 * HOUR);
    for (let t = T0; t < T0 + 20 * 24 * HOUR; t += HOUR) {
      const rate = spells.some((s) => t >= s && t < s + 24 * HOUR) ? 2 : 0.02;
      if (rnd() < 1 - Math.exp(-rate))
        rows.push({
          caseId: `C-${d}-${t}`,
          kind: 'DAMAGED_LABEL',
          deviceId: `printer-${d}`,
          lineId: null,
          site: null,
          gtin: null,
          operatorId: null,
          occurredAt: t + Math.floor(rnd() * HOUR),
        });
    }
  }
  return rows;
}

const empty = { episodes: [], devices: [], activity: [], condition: [] };

describe('bench insights: one run as a line', () => {
  it('gives the evaluation of insights, the verdict in a word, and the ablation and devices of the same windows', () => {
    const rows = bursts(3);
    const now = T0 + 21 * 24 * HOUR;
    const line = judgeRun({ rows, ...empty }, { seed: 3, events: 1000, now });
    const e = insights(rows, { now }).evaluation!;
    expect(line.windowHours).toBe(e.windowHours);
    expect(line.test).toEqual(e.test);
    expect(line.auc!.model).toBeCloseTo(e.model.auc!, 3);
    expect(line.verdict).toBe(e.beatsBaseline ? 'beats' : 'does not beat');
    expect(line.gain!.low).toBeCloseTo(e.overBaseline!.low, 3);
    // Nothing but cases here: the condition and alert columns are 0, dropping them changes nothing;
    // dropping the case history leaves the model nothing to rank by.
    expect(line.without.condition).toBe(line.auc!.model);
    expect(line.without.alert).toBe(line.auc!.model);
    expect(line.without.cases).toBe(0.5);
    // Each refit's own gain over the baseline, by the verdict's bootstrap: the full model's where nothing changed.
    expect(line.withoutGain.condition).toEqual(line.gain);
    expect(line.withoutGain.cases!.difference).toBeCloseTo(0.5 - line.auc!.baseline!, 3);
    expect(Object.values(line.devices).reduce((s, d) => s + d.positives, 0)).toBe(e.test.positives);
  });

  it('says there was no evaluation when no case names a device', () => {
    const line = judgeRun({ rows: [], ...empty }, { seed: 1, events: 1000, now: T0 });
    expect(line).toMatchObject({
      cases: 0,
      verdict: 'no evaluation',
      auc: null,
      without: {},
      withoutGain: {},
      devices: {},
    });
  });
});
