import { noticeBody } from './notices';
import { withDefaults } from './recall';
import type { RecallReport } from './report';

describe('the notice', () => {
  it("lists only the partner's own units", () => {
    const recall = withDefaults({
      recallId: 'R1',
      gtin: '04012345100019',
      lots: ['L1'],
      reason: 'r',
      declaredAt: 0,
    });
    const unit = (serial: string, partner: string) => ({
      unit: serial,
      serial,
      lot: 'L1',
      containers: [],
      location: null,
      locationName: null,
      custodian: { kind: 'partner' as const, id: partner, name: partner },
      status: 'delivered to a partner' as const,
      since: 0,
      bizStep: null,
      disposition: null,
    });
    const report = { recall, units: [unit('1', 'a'), unit('2', 'b')] } as unknown as RecallReport;
    const body = noticeBody(recall, { id: 'a', name: 'A' }, report);
    expect(body).toMatchObject({ recallId: 'R1', unitCount: 1, units: [{ serial: '1' }] });
  });
});
