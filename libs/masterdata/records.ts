/** Master data: products (GTIN), sites (GLN), devices, operators, partners; keyed `kind:id` on the compacted topic. */
import { UsageError } from '../errors';
import { hasValidCheckDigit } from '../gs1';
export const masterdataKinds = ['product', 'site', 'device', 'operator', 'partner'] as const;
export type MasterdataKind = (typeof masterdataKinds)[number];

export interface MasterdataRecord {
  kind: MasterdataKind | string;
  id: string;
  name: string;
  attributes: Record<string, string>;
  deleted: boolean;
  updatedAt: number;
}

export const masterdataKey = (kind: string, id: string) => `${kind}:${id}`;

/** Read-only lookup the validator and enricher handlers get. */
export interface MasterdataLookup {
  get(kind: MasterdataKind, id: string): MasterdataRecord | undefined;
}

export function lookupFrom(get: (key: string) => MasterdataRecord | undefined): MasterdataLookup {
  return {
    get: (kind, id) => {
      const r = get(masterdataKey(kind, id));
      return r && !r.deleted ? r : undefined;
    },
  };
}

/** GLN of a location identifier (SGLN Digital Link .../414/<gln>[/254/<ext>]). */
export function glnOf(locationUri: string | null): string | null {
  const m = locationUri ? /\/414\/(\d{13})/.exec(locationUri) : null;
  return m ? m[1]! : null;
}

/** Parses a master data file: CSV (header kind,id,name[,attribute...]) or JSON (an array of records). */
export function parseMasterdataFile(text: string, fileName: string, now = Date.now()): MasterdataRecord[] {
  const trimmed = text.trim();
  const rows: { kind: unknown; id: unknown; name: unknown; attributes?: unknown }[] = [];
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (err) {
      throw new UsageError(`${fileName}: not valid JSON (${(err as Error).message})`);
    }
    if (!Array.isArray(parsed))
      throw new UsageError(`${fileName}: expected a JSON array of {kind, id, name, attributes}`);
    rows.push(...(parsed as typeof rows));
  } else {
    const lines = trimmed.split(/\r?\n/).filter((l) => l.trim() !== '');
    const header = splitCsv(lines[0] ?? '');
    if (header[0] !== 'kind' || header[1] !== 'id' || header[2] !== 'name') {
      throw new UsageError(
        `${fileName}: the CSV header must start with kind,id,name (found '${lines[0] ?? ''}')`,
      );
    }
    lines.slice(1).forEach((line, i) => {
      const cells = splitCsv(line);
      if (cells.length !== header.length) {
        throw new UsageError(
          `${fileName} line ${i + 2}: ${cells.length} columns, the header has ${header.length}`,
        );
      }
      const attributes = Object.fromEntries(
        header
          .slice(3)
          .map((h, k) => [h, cells[k + 3]!])
          .filter(([, v]) => v !== ''),
      );
      rows.push({ kind: cells[0], id: cells[1], name: cells[2], attributes });
    });
  }
  return rows.map((r, i) => checkRecord(r, `${fileName} record ${i + 1}`, now));
}

function checkRecord(
  r: { kind: unknown; id: unknown; name: unknown; attributes?: unknown },
  where: string,
  now: number,
): MasterdataRecord {
  const kind = String(r.kind ?? '').trim();
  const id = String(r.id ?? '').trim();
  const name = String(r.name ?? '').trim();
  if (!(masterdataKinds as readonly string[]).includes(kind)) {
    throw new UsageError(`${where}: kind '${kind}' is not one of ${masterdataKinds.join(', ')}`);
  }
  if (!id || !name) throw new UsageError(`${where}: id and name are required`);
  const digits = kind === 'product' ? 14 : kind === 'site' ? 13 : 0;
  let normalizedId = id;
  if (digits) {
    const padded = kind === 'product' && /^\d{8,14}$/.test(id) ? id.padStart(14, '0') : id;
    if (!new RegExp(`^\\d{${digits}}$`).test(padded) || !hasValidCheckDigit(padded)) {
      throw new UsageError(
        `${where}: ${kind} id '${id}' is not a valid ${kind === 'product' ? 'GTIN' : 'GLN'} (length or check digit)`,
      );
    }
    normalizedId = padded;
  }
  const attributes: Record<string, string> = {};
  if (r.attributes && typeof r.attributes === 'object') {
    for (const [k, v] of Object.entries(r.attributes as Record<string, unknown>)) attributes[k] = String(v);
  }
  return { kind, id: normalizedId, name, attributes, deleted: false, updatedAt: now };
}

/** Minimal RFC 4180 cell splitting: commas, double-quoted cells with "" escapes. */
function splitCsv(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  cells.push(cur.trim());
  return cells;
}
