import { negotiate } from './query';

describe('negotiate (Accept → answer format)', () => {
  it.each([
    [undefined, 'json'],
    ['', 'json'],
    ['*/*', 'json'],
    ['application/json', 'json'],
    ['application/ld+json', 'ld+json'],
    ['application/xml', 'xml'],
    ['text/xml', 'xml'],
    ['application/xml;q=0.9, application/ld+json', 'ld+json'],
    ['application/ld+json;q=0.5, application/xml', 'xml'],
    ['text/html, application/*;q=0.8', 'json'],
    ['text/csv', null],
    ['application/xml;q=0', null],
  ] as const)('%s → %s', (accept, format) => {
    expect(negotiate(accept)).toBe(format);
  });
});
