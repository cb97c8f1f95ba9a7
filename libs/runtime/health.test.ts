import { createHealth } from './health';

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('stage health', () => {
  it('is unhealthy until the consumer joins its group, healthy after', () => {
    const c = clock();
    const h = createHealth({ now: c.now });
    expect(h.report()).toMatchObject({ ok: false, reason: 'not a member of the consumer group' });
    h.joined();
    expect(h.report().ok).toBe(true);
  });

  it('is unhealthy after a crash until a batch is committed again', () => {
    const c = clock();
    const h = createHealth({ now: c.now, unhealthyAfterMs: 60_000 });
    h.joined();
    h.crashed('KafkaJSNumberOfRetriesExceeded');
    expect(h.report()).toMatchObject({
      ok: false,
      reason: 'consumer crashed: KafkaJSNumberOfRetriesExceeded',
    });
    c.advance(1000);
    h.joined(); // the client restarted and rejoined: not proof that it works
    expect(h.report().ok).toBe(false);
    c.advance(1000);
    h.progressed();
    expect(h.report().ok).toBe(true);
  });

  it('forgives a crash once the consumer has stayed in the group for the configured time (a quiet topic)', () => {
    const c = clock();
    const h = createHealth({ now: c.now, unhealthyAfterMs: 60_000 });
    h.crashed('broker restarted');
    c.advance(1000);
    h.joined();
    c.advance(59_000);
    expect(h.report().ok).toBe(false);
    c.advance(1001);
    expect(h.report().ok).toBe(true);
  });

  it('reports a restart loop even while each restart rejoins and commits for a moment', () => {
    const c = clock();
    const h = createHealth({ now: c.now, unhealthyAfterMs: 60_000, restartLoopCrashes: 3 });
    for (let i = 0; i < 3; i++) {
      h.joined();
      h.progressed();
      c.advance(5000);
      h.crashed('invalid byte sequence for encoding "UTF8": 0x00');
      c.advance(1000);
      h.joined();
      h.progressed();
    }
    expect(h.report()).toMatchObject({ ok: false });
    expect(h.report().reason).toMatch(/^restart loop: the consumer crashed 3 times/);
    c.advance(5 * 60_000);
    expect(h.report().ok).toBe(true);
  });

  it('is unhealthy once one batch has been retried longer than the configured time', () => {
    const c = clock();
    const h = createHealth({ now: c.now, unhealthyAfterMs: 60_000 });
    h.joined();
    h.retrying('postgres: connection refused');
    c.advance(30_000);
    h.retrying('postgres: connection refused');
    expect(h.report().ok).toBe(true);
    c.advance(30_001);
    expect(h.report()).toMatchObject({
      ok: false,
      reason: 'retrying one batch for 60 s: postgres: connection refused',
    });
    h.retried();
    expect(h.report().ok).toBe(true);
  });

  it('is unhealthy while stopping', () => {
    const h = createHealth();
    h.joined();
    h.stopping();
    expect(h.report()).toMatchObject({ ok: false, reason: 'stopping' });
  });
});
