import { storableText } from './text';

describe('storableText', () => {
  it('writes NUL and lone surrogates as visible escapes', () => {
    expect(storableText('urn:epcglobal:cbv:bizstep:\u0000shipping')).toBe(
      'urn:epcglobal:cbv:bizstep:\\u0000shipping',
    );
    expect(storableText('a\ud800b')).toBe('a\\ud800b');
    expect(storableText('a\udc00')).toBe('a\\udc00');
  });
  it('leaves everything else alone, including pairs of surrogates', () => {
    expect(storableText('plain ✓ 😀')).toBe('plain ✓ 😀');
    expect(storableText(null)).toBeNull();
  });
});
