/**
 * `unitrail epcis hash FILE [--prehash]`: the EPCIS Event Hash ID of each event of a JSON-LD or XML
 * document, one per line in document order (nothing else on stdout, so it pipes and diffs).
 * `unitrail bench hash [--events N]`: Event Hash IDs per second on one core, as one line of JSON.
 */
import { readFileSync } from 'node:fs';
import type { Command } from '../command';
import { UsageError } from '../../../libs/errors';
import { eventHash, parseDocument, preHash } from '../../../libs/epcis';

function readDocument(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new UsageError(`cannot read ${file}: ${why}`);
  }
}

const hash: Command = {
  name: 'epcis hash',
  summary:
    'Print the EPCIS Event Hash ID (or with --prehash its pre-hash string) of each event of a document',
  usage: 'FILE [--prehash]',
  options: { prehash: { type: 'boolean' } },
  positionals: [1, 1],
  async run(input) {
    const { events } = parseDocument(readDocument(input.positionals[0]));
    const lines = events.map(input.values.prehash === true ? preHash : eventHash);
    if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};

export const epcisCommands: Command[] = [hash];
