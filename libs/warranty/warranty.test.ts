import { warrantyVerdict, type WarrantyFacts } from '.';

const facts = (over: Partial<WarrantyFacts> = {}): WarrantyFacts => ({
  unit: 'https://id.gs1.org/01/04012345100019/21/1',
  gtin: '04012345100019',
  serial: '1',
  lot: 'L1',
  exists: true,
  commissioning: { at: '2026-01-05T06:00:00.000Z', sourceSystem: 'MES', location: null },
  soldAt: '2026-02-01T10:00:00.000Z',
  recall: null,
  claims: [],
  ...over,
});

describe('warranty verdict', () => {
  it('is valid for a genuine, sold, unclaimed unit outside any recall', () => {
    expect(warrantyVerdict(facts())).toEqual({ genuine: true, sold: true, verdict: 'valid' });
  });
  it('names the first problem in the order a warranty desk asks', () => {
    expect(warrantyVerdict(facts({ exists: false, commissioning: null })).verdict).toBe('unknown_serial');
    expect(
      warrantyVerdict(facts({ commissioning: { at: 'x', sourceSystem: 'EPCIS', location: null } })),
    ).toEqual({
      genuine: false,
      sold: true,
      verdict: 'not_genuine',
    });
    expect(warrantyVerdict(facts({ commissioning: null })).verdict).toBe('not_genuine');
    const recall = { recallId: 'R1', reason: 'r', declaredAt: 'x' };
    expect(warrantyVerdict(facts({ recall })).verdict).toBe('recalled');
    expect(warrantyVerdict(facts({ soldAt: null })).verdict).toBe('not_sold');
  });
  it('flags a claim when another reference was made before, not the same reference again', () => {
    const claims = [{ claimRef: 'C-1', claimedAt: 'x', claimedBy: null }];
    expect(warrantyVerdict(facts({ claims })).verdict).toBe('already_claimed');
    expect(warrantyVerdict(facts({ claims }), { claimRef: 'C-1' }).verdict).toBe('valid');
    expect(warrantyVerdict(facts({ claims }), { claimRef: 'C-2' }).verdict).toBe('already_claimed');
  });
  it('takes our own sources from the caller', () => {
    const epcis = facts({ commissioning: { at: 'x', sourceSystem: 'EPCIS', location: null } });
    expect(warrantyVerdict(epcis, { ownSources: ['MES', 'EPCIS'] }).genuine).toBe(true);
  });
});
