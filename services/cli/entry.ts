import fs from 'node:fs';
import path from 'node:path';

/** The compiled CLI entry point, from compiled code or from sources run by ts-jest. */
export function cliEntry(): string {
  const beside = path.join(__dirname, 'main.js');
  if (fs.existsSync(beside)) return beside;
  return path.join(__dirname, '../../dist/services/cli/main.js');
}
