import { decodeQuery, decodeStrict } from '.';

describe('decodeStrict: ids from a URL path', () => {
  it.each([
    ['%ud800', /is not percent-encoded UTF-8/],
    ['%ED%A0%80', /is not percent-encoded UTF-8/], // a surrogate encoded as UTF-8: not UTF-8
    ['%FF%FE', /is not percent-encoded UTF-8/],
    ['a%00b', /contains NUL \(U\+0000\) at character 2/],
    ['%E0%A4', /is not percent-encoded UTF-8/],
  ])('refuses %s with a reason instead of throwing', (raw, why) => {
    const decoded = decodeStrict(raw, 'the id');
    expect(decoded.ok).toBe(false);
    expect(!decoded.ok && decoded.reason).toMatch(why);
  });

  it('decodes text, non-ASCII included', () => {
    expect(decodeStrict('urn%3Aepc%3Aid%3Asgtin%3A4012345.011111.1', 'id')).toEqual({
      ok: true,
      value: 'urn:epc:id:sgtin:4012345.011111.1',
    });
    expect(decodeStrict('K%C3%B6ln%F0%9F%98%80', 'id')).toEqual({ ok: true, value: 'Köln\u{1F600}' });
  });
});

describe('decodeQuery', () => {
  it('decodes parameters strictly, + as space', () => {
    expect(decodeQuery('?gtin=04012345111118&status=a+b')).toEqual({
      ok: true,
      params: { gtin: '04012345111118', status: 'a b' },
    });
  });

  it('refuses a NUL or broken UTF-8 (URLSearchParams would turn it into U+FFFD)', () => {
    expect(decodeQuery('?gtin=%00')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/gtin .*NUL/),
    });
    expect(decodeQuery('?gtin=%FF')).toMatchObject({ ok: false });
  });
});
