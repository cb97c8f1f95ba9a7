import crypto from 'node:crypto';
import { backoffMs, deliver, retriableStatus, sign, verifySignature } from '.';

describe('signing', () => {
  it('is sha256=<hex HMAC-SHA256 of the body> and verifies only the same body and secret', () => {
    const body = '{"recallId":"R1"}';
    const expected = crypto.createHmac('sha256', 's3cret').update(body).digest('hex');
    expect(sign(body, 's3cret')).toBe(`sha256=${expected}`);
    expect(verifySignature(body, 's3cret', sign(body, 's3cret'))).toBe(true);
    expect(verifySignature(`${body} `, 's3cret', sign(body, 's3cret'))).toBe(false);
    expect(verifySignature(body, 'other', sign(body, 's3cret'))).toBe(false);
    expect(verifySignature(body, 's3cret', undefined)).toBe(false);
  });
});

describe('delivery', () => {
  const answers = (...statuses: (number | Error)[]) => {
    const calls: RequestInit[] = [];
    const fetchImpl = (async (_url: string, init: RequestInit) => {
      calls.push(init);
      const next = statuses.shift()!;
      if (next instanceof Error) throw next;
      return new Response('', { status: next });
    }) as unknown as typeof fetch;
    return { calls, fetchImpl };
  };
  const noSleep = async () => {};

  it('retries network failures and 5xx with back-off until it succeeds, signing every attempt', async () => {
    const { calls, fetchImpl } = answers(new Error('ECONNREFUSED'), 503, 200);
    const result = await deliver({ url: 'http://p', body: '{}', secret: 'k', fetchImpl, sleep: noSleep });
    expect(result).toEqual({ ok: true, attempts: 3, status: 200 });
    for (const c of calls) {
      expect((c.headers as Record<string, string>)['x-unitrail-signature']).toBe(sign('{}', 'k'));
    }
  });
  it('gives up at once on a 4xx other than 408/429, and after the last attempt otherwise', async () => {
    expect(
      await deliver({ url: 'http://p', body: '{}', secret: 'k', ...answers(400), sleep: noSleep }),
    ).toEqual({
      ok: false,
      attempts: 1,
      error: 'HTTP 400',
    });
    const r = await deliver({
      url: 'http://p',
      body: '{}',
      secret: 'k',
      attempts: 2,
      ...answers(500, 500),
      sleep: noSleep,
    });
    expect(r).toEqual({ ok: false, attempts: 2, error: 'HTTP 500' });
    expect([408, 429, 500, 503].every(retriableStatus)).toBe(true);
    expect([400, 401, 404].some(retriableStatus)).toBe(false);
  });
  it('backs off exponentially, capped', () => {
    const max = { random: () => 0.999999 };
    expect([1, 2, 3, 10].map((a) => backoffMs(a, { baseMs: 100, maxMs: 1000, ...max }))).toEqual([
      100, 200, 400, 1000,
    ]);
  });
});
