import { checkMediaType, errorBehaviourOf, utf8 } from './http';

describe('checkMediaType', () => {
  it.each([
    'application/json',
    'application/ld+json',
    'application/xml',
    'text/xml',
    'Application/LD+JSON; charset=UTF-8',
  ])('accepts %s', (type) => expect(checkMediaType(type)).toEqual({ ok: true }));
  it('refuses other types, other charsets and none', () => {
    expect(checkMediaType('text/plain')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/text\/plain/),
    });
    expect(checkMediaType('application/xml; charset=iso-8859-1')).toMatchObject({ ok: false });
    expect(checkMediaType(undefined)).toMatchObject({ ok: false, reason: expect.stringMatching(/missing/) });
  });
});

describe('errorBehaviourOf', () => {
  it('defaults to proceed, takes rollback, refuses anything else', () => {
    expect(errorBehaviourOf(undefined)).toBe('proceed');
    expect(errorBehaviourOf('Rollback')).toBe('rollback');
    expect(errorBehaviourOf('maybe')).toBeNull();
  });
});

describe('utf8', () => {
  it('refuses bytes that are not UTF-8 instead of replacing them', () => {
    expect(utf8(Buffer.from('{"a":"é"}'))).toBe('{"a":"é"}');
    expect(utf8(Buffer.from([0x7b, 0xff, 0x7d]))).toBeNull();
  });
});
