import { finalStatus, jobView, planCapture, type CaptureJob } from './jobs';
import type { CheckedDocument } from './document';

const doc = (accepted: number, rejected: number): CheckedDocument => ({
  format: 'json',
  eventCount: accepted + rejected,
  accepted: Array.from({ length: accepted }, (_, i) => ({
    index: i,
    eventId: `ni:///${i}`,
    key: 'k',
    json: '{}',
  })),
  rejected: Array.from({ length: rejected }, (_, i) => ({
    index: accepted + i,
    where: `$[${accepted + i}]`,
    reasons: [{ code: 'EPCIS_MALFORMED', message: 'bad' }],
  })),
  namespaces: {},
});

describe('finalStatus', () => {
  const s = (
    eventCount: number,
    rejectedCount: number,
    publishedCount: number,
    failure: string | null = null,
  ) => finalStatus({ eventCount, rejectedCount, publishedCount, failure });
  it('success only when every event is published', () => {
    expect(s(4, 0, 4)).toBe('success');
    expect(s(0, 0, 0)).toBe('success');
  });
  it('partial when some are rejected and the rest published', () => {
    expect(s(4, 1, 3)).toBe('partial');
  });
  it('failed when nothing got through, or publishing stopped', () => {
    expect(s(2, 2, 0)).toBe('failed');
    expect(s(4, 0, 2, 'kafka: gone')).toBe('failed');
    expect(s(4, 1, 0, 'rollback')).toBe('failed');
  });
});

describe('planCapture', () => {
  it('proceed: publishes the accepted events of a document with rejected ones', () => {
    const plan = planCapture(doc(3, 1), 'proceed');
    expect(plan.publish.map((e) => e.index)).toEqual([0, 1, 2]);
    expect(plan.failure).toBeNull();
  });
  it('rollback: publishes nothing once any event is rejected, and says why', () => {
    expect(planCapture(doc(3, 1), 'rollback')).toEqual({
      publish: [],
      failure: expect.stringMatching(/1 of 4 .*rollback/),
    });
    expect(planCapture(doc(3, 0), 'rollback').publish).toHaveLength(3);
  });
});

describe('jobView', () => {
  const job: CaptureJob = {
    captureId: 'c1',
    status: 'partial',
    producer: 'acme',
    documentFormat: 'xml',
    documentBytes: 100,
    errorBehaviour: 'proceed',
    eventCount: 4,
    acceptedCount: 3,
    publishedCount: 3,
    errors: doc(3, 1).rejected,
    events: [{ index: 0, eventId: 'ni:///0', record: 'ut.raw.epcis.v1/0/7' }],
    failure: null,
    createdAt: new Date('2026-01-01T00:00:00Z'),
    finishedAt: new Date('2026-01-01T00:00:01Z'),
  };
  it('speaks the EPCIS capture job (running, success, captureErrorBehaviour) plus counts', () => {
    expect(jobView(job)).toMatchObject({
      captureID: 'c1',
      running: false,
      success: false,
      status: 'partial',
      captureErrorBehaviour: 'proceed',
      counts: { events: 4, accepted: 3, rejected: 1, published: 3 },
      errors: [{ index: 3, reasons: [{ code: 'EPCIS_MALFORMED' }] }],
    });
  });
  it('leaves the per-event lists out of a summary', () => {
    const view = jobView(job, { summary: true });
    expect(view).not.toHaveProperty('errors');
    expect(view).not.toHaveProperty('events');
  });
});
