/** `unitrail masterdata load|list`: products, sites, devices, operators, partners (libs/masterdata). */
import type { Command } from '../command';
import fs from 'node:fs';
import { optString, withPool } from '../command';
import { loadConfig } from '../../../libs/config';
import { UsageError } from '../../../libs/errors';
import { createKafka, kafkaConnection } from '../../../libs/kafka';
import { createCodec } from '../../../libs/avro';
import { loadMasterdata, parseMasterdataFile } from '../../../libs/masterdata';

const masterdataLoad: Command = {
  name: 'masterdata load',
  summary: 'Load products, sites, devices, operators, partners from CSV (kind,id,name,...) or JSON',
  usage: 'FILE',
  positionals: [1, 1],
  async run(input) {
    const file = input.positionals[0]!;
    if (!fs.existsSync(file)) throw new UsageError(`${file}: no such file`);
    const records = parseMasterdataFile(fs.readFileSync(file, 'utf8'), file);
    const config = loadConfig();
    const n = await withPool((pool) =>
      loadMasterdata(
        pool,
        createKafka({ ...kafkaConnection(config) }),
        createCodec({ url: config.schemaRegistryUrl }),
        records,
      ),
    );
    const byKind = records.reduce<Record<string, number>>(
      (m, r) => ({ ...m, [r.kind]: (m[r.kind] ?? 0) + 1 }),
      {},
    );
    console.log(
      `loaded ${n} records: ${Object.entries(byKind)
        .map(([k, c]) => `${c} ${k}`)
        .join(', ')}`,
    );
    return 0;
  },
};

const masterdataList: Command = {
  name: 'masterdata list',
  summary: 'List master data, optionally of one kind',
  usage: '[--kind KIND]',
  options: { kind: { type: 'string' } },
  async run(input) {
    const kind = optString(input, 'kind');
    const rows = await withPool((pool) =>
      pool.query<{ kind: string; id: string; name: string; attributes: Record<string, string> }>(
        'SELECT kind, id, name, attributes FROM ut.masterdata WHERE deleted = false AND ($1::text IS NULL OR kind = $1) ORDER BY kind, id',
        [kind ?? null],
      ),
    );
    for (const r of rows.rows)
      console.log(
        `${r.kind.padEnd(9)} ${r.id.padEnd(16)} ${r.name}${Object.keys(r.attributes).length ? `  ${JSON.stringify(r.attributes)}` : ''}`,
      );
    return 0;
  },
};

export const masterdataCommands: Command[] = [masterdataLoad, masterdataList];
