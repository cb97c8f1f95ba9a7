import fs from 'node:fs';
import path from 'node:path';
import { describeSettings } from '.';

describe('README configuration table', () => {
  it('is the one the code declares', () => {
    const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
    const table = /<!-- settings:start -->\n([\s\S]*?)\n<!-- settings:end -->/.exec(readme)?.[1];
    expect(table).toBe(describeSettings());
  });
});
