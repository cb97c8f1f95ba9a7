/** A recall's scope as people write and read it: a serials file, and one line of text. */
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors';
import type { NoticeOutcome } from './notices';
import type { Recall } from './recall';

/** One serial per line; blank lines and lines starting with # are skipped; a CSV keeps its first column. */
export function readSerials(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --serials ${file}: ${(err as Error).message}`);
  }
  const serials = text
    .split(/\r?\n/)
    .map((l) => l.split(',')[0]!.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && l.toLowerCase() !== 'serial');
  if (serials.length === 0) throw new UsageError(`--serials ${file} lists no serials`);
  return serials;
}

/** A recall's scope in one line: `GTIN 0… lots L1,L2 from … to …`. */
export const describeScope = (r: Recall): string =>
  [
    `GTIN ${r.gtin}`,
    r.lots.length ? `lots ${r.lots.join(',')}` : '',
    r.serials.length ? `${r.serials.length} serials` : '',
    r.deviceId ? `device ${r.deviceId}` : '',
    r.fromTime !== null ? `from ${new Date(r.fromTime).toISOString()}` : '',
    r.toTime !== null ? `to ${new Date(r.toTime).toISOString()}` : '',
  ]
    .filter(Boolean)
    .join(' ');

/** A recall in one line of `unitrail recall list`. */
export const formatRecallLine = (r: Recall): string =>
  `${r.recallId}  ${r.status.padEnd(6)}  ${new Date(r.declaredAt).toISOString().slice(0, 16)}  ${describeScope(r)}  ${r.quarantinedAt !== null ? 'quarantined  ' : ''}${r.reason}`;

/** What a partner notice did, in one line. */
export const formatNotice = (n: NoticeOutcome): string =>
  `partner ${n.partner} (${n.units} units): alert ${n.alert}, webhook ${n.webhook}`;
