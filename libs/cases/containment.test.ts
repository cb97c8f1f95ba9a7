import { containmentPlan } from './containment';
import { playbooks } from './playbook';

const pallet = 'https://id.gs1.org/00/140123450000000006';
const unit = 'https://id.gs1.org/01/04012345100013/21/A1';

describe('containmentPlan', () => {
  const pb = playbooks().get('MISLABELED_PALLET')!;
  it('holds the goods where they are, names the zone as destination and the case, and directs the WMS', () => {
    const plan = containmentPlan({ case_id: 'C-1', units: [pallet, unit], subject: pallet }, pb, {
      at: Date.UTC(2026, 0, 2),
      seq: 4,
      from: 'https://id.gs1.org/414/4012345000023',
    });
    expect(plan.event).toMatchObject({
      type: 'ObjectEvent',
      action: 'OBSERVE',
      bizStep: 'holding',
      disposition: 'non_sellable_other',
      epcList: [pallet, unit],
      bizLocation: { id: 'https://id.gs1.org/414/4012345000023' },
      destinationList: [{ type: 'location', destination: 'https://id.gs1.org/414/4012345000993' }],
      bizTransactionList: [
        { type: 'urn:unitrail:btt:exception-case', bizTransaction: 'urn:unitrail:case:C-1' },
      ],
    });
    expect(plan.eventId).toMatch(/^ni:\/\/\/sha-256;/);
    expect(plan.directive).toEqual({
      directiveId: 'C-1:4',
      caseId: 'C-1',
      units: [unit],
      containers: [pallet],
      from: 'https://id.gs1.org/414/4012345000023',
      to: '4012345000993',
      reason: pb.containment!.reason,
      issuedAt: Date.UTC(2026, 0, 2),
    });
  });
  it('refuses a bad --to and a case with nothing to move', () => {
    expect(() =>
      containmentPlan({ case_id: 'C-1', units: [unit], subject: null }, pb, {
        at: 0,
        seq: 1,
        from: null,
        to: '123',
      }),
    ).toThrow('--to 123 must be a 13-digit GLN');
    expect(() =>
      containmentPlan({ case_id: 'C-1', units: [], subject: null }, pb, { at: 0, seq: 1, from: null }),
    ).toThrow('names no unit');
  });
});
