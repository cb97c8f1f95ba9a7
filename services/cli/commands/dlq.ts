/** `unitrail masterdata load|list` and `unitrail dlq list|show|replay`. */
import fs from 'node:fs';
import os from 'node:os';
import type { Command, CommandInput } from '../command';
import { optString } from '../command';
import { loadConfig } from '../../../libs/config';
import { UsageError, UnitrailError } from '../../../libs/errors';
import { createKafka, kafkaConnection } from '../../../libs/kafka';
import { createCodec } from '../../../libs/avro';
import { poolFor } from '../../../libs/store';
import { parseMasterdataFile } from '../../../libs/masterdata';
import { loadMasterdata } from '../../../libs/masterdata/load';
import {
  dlqCounts,
  dlqDetail,
  dlqRecords,
  parseSince,
  replayCandidates,
  replayDlq,
  type DlqFilter,
} from '../../../libs/dlq';

async function withPool<T>(fn: (pool: ReturnType<typeof poolFor>) => Promise<T>): Promise<T> {
  const pool = poolFor(loadConfig(), { max: 2 });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

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

function filterOf(input: CommandInput): DlqFilter {
  const since = optString(input, 'since');
  return {
    reason: optString(input, 'reason'),
    source: optString(input, 'source')?.toUpperCase(),
    since: since === undefined ? undefined : parseSince(since, Date.now(), { label: '--since' }),
  };
}

const filterOptions = {
  reason: { type: 'string' },
  source: { type: 'string' },
  since: { type: 'string' },
} as const;

const dlqList: Command = {
  name: 'dlq list',
  summary: 'DLQ records by reason and source: counts, then the newest records',
  usage: '[--reason CODE] [--source MES|WMS|TMS|EPCIS] [--since T] [--limit N] [--json]',
  options: { ...filterOptions, limit: { type: 'string' }, json: { type: 'boolean' } },
  async run(input) {
    const f = filterOf(input);
    const limit = Number(optString(input, 'limit') ?? 20);
    if (!Number.isInteger(limit) || limit < 0) throw new UsageError('--limit must be a whole number');
    return withPool(async (pool) => {
      const counts = await dlqCounts(pool, f);
      const records = await dlqRecords(pool, f, { limit });
      if (input.values.json === true) {
        console.log(JSON.stringify({ counts, records }));
        return 0;
      }
      console.log('reason                     source  records');
      for (const c of counts) console.log(`${c.reason.padEnd(26)} ${(c.source ?? '-').padEnd(7)} ${c.n}`);
      console.log('');
      for (const r of records) {
        console.log(
          `${r.dlq_id}  ${r.failed_at.toISOString()}  ${r.source_system ?? '-'}  ${r.device_id ?? '-'}${r.replayed ? `  (replayed ×${r.replayed})` : ''}`,
        );
        for (const reason of r.reasons) console.log(`    ${reason.code}: ${reason.message}`);
      }
      return 0;
    });
  },
};

const dlqShow: Command = {
  name: 'dlq show',
  summary: 'One DLQ record: reasons, source coordinates, original bytes (decoded when possible), replays',
  usage: 'ID',
  positionals: [1, 1],
  async run(input) {
    const id = input.positionals[0]!;
    return withPool(async (pool) => {
      const detail = await dlqDetail(pool, createCodec({ url: loadConfig().schemaRegistryUrl }), id);
      if (!detail) throw new UnitrailError('NOT_FOUND', `no DLQ record '${id}' (see 'unitrail dlq list')`);
      console.log(JSON.stringify(detail, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2));
      return 0;
    });
  },
};

const dlqReplay: Command = {
  name: 'dlq replay',
  summary: 'Send selected DLQ records back to the topic they came from (after fixing master data)',
  usage: '[--reason CODE] [--source S] [--since T] [--all] [--dry-run]',
  options: { ...filterOptions, all: { type: 'boolean' }, 'dry-run': { type: 'boolean' } },
  async run(input) {
    const f = filterOf(input);
    if (!f.reason && !f.source && !f.since && input.values.all !== true) {
      throw new UsageError('say which records to replay: --reason, --source, --since, or --all');
    }
    const config = loadConfig();
    return withPool(async (pool) => {
      if (input.values['dry-run'] === true) {
        console.log(`would replay ${await replayCandidates(pool, f)} records`);
        return 0;
      }
      const done = await replayDlq(pool, createKafka(kafkaConnection(config)), f, {
        replayedBy: os.userInfo().username,
        onProgress: (n, total) => process.stderr.write(`replayed ${n}/${total}\n`),
      });
      console.log(`replayed ${done} records`);
      return 0;
    });
  },
};

export const dataCommands: Command[] = [masterdataLoad, masterdataList, dlqList, dlqShow, dlqReplay];
