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

interface Filter {
  reason?: string;
  source?: string;
  since?: Date;
}

function filterOf(input: CommandInput): Filter {
  const since = optString(input, 'since');
  let sinceDate: Date | undefined;
  if (since !== undefined) {
    sinceDate = new Date(
      /^\d+[smhd]$/.test(since)
        ? Date.now() -
            Number(since.slice(0, -1)) * { s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[since.slice(-1) as 's']!
        : since,
    );
    if (Number.isNaN(sinceDate.getTime()))
      throw new UsageError(
        `--since ${since}: give an ISO time (2026-03-01T12:00:00Z) or an age (30m, 2h, 7d)`,
      );
  }
  return {
    reason: optString(input, 'reason'),
    source: optString(input, 'source')?.toUpperCase(),
    since: sinceDate,
  };
}

const filterSql = `($1::text IS NULL OR $1 = ANY(reason_codes)) AND ($2::text IS NULL OR upper(source_system) = $2)
  AND ($3::timestamptz IS NULL OR failed_at >= $3)`;
const filterArgs = (f: Filter) => [f.reason ?? null, f.source ?? null, f.since ?? null];
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
      const counts = await pool.query<{ reason: string; source: string | null; n: string }>(
        `SELECT r AS reason, source_system AS source, count(*) AS n FROM ut.dlq, unnest(reason_codes) r
          WHERE ${filterSql} GROUP BY 1, 2 ORDER BY 3 DESC`,
        filterArgs(f),
      );
      const rows = await pool.query<{
        dlq_id: string;
        stage: string;
        reasons: { code: string; message: string }[];
        source_system: string | null;
        device_id: string | null;
        failed_at: Date;
        replayed: number;
      }>(
        `SELECT dlq_id, stage, reasons, source_system, device_id, failed_at,
                (SELECT count(*)::int FROM ut.dlq_replays p WHERE p.dlq_id = d.dlq_id) AS replayed
           FROM ut.dlq d WHERE ${filterSql} ORDER BY failed_at DESC LIMIT $4`,
        [...filterArgs(f), limit],
      );
      if (input.values.json === true) {
        console.log(
          JSON.stringify({ counts: counts.rows.map((c) => ({ ...c, n: Number(c.n) })), records: rows.rows }),
        );
        return 0;
      }
      console.log('reason                     source  records');
      for (const c of counts.rows)
        console.log(`${c.reason.padEnd(26)} ${(c.source ?? '-').padEnd(7)} ${c.n}`);
      console.log('');
      for (const r of rows.rows) {
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
      const r = await pool.query('SELECT * FROM ut.dlq WHERE dlq_id = $1', [id]);
      if (r.rowCount === 0)
        throw new UnitrailError('NOT_FOUND', `no DLQ record '${id}' (see 'unitrail dlq list')`);
      const row = r.rows[0];
      let decoded: unknown = null;
      if (row.original_value) {
        try {
          decoded = (await createCodec({ url: loadConfig().schemaRegistryUrl }).decode(row.original_value))
            .value;
        } catch (err) {
          decoded = {
            undecodable: (err as Error).message,
            text: Buffer.from(row.original_value).toString('utf8').slice(0, 200),
          };
        }
      }
      const replays = await pool.query(
        'SELECT target_topic, target_partition, target_offset, replayed_by, replayed_at FROM ut.dlq_replays WHERE dlq_id = $1 ORDER BY replay_id',
        [id],
      );
      const history = await pool.query(
        'SELECT dlq_id, failed_at, reason_codes FROM ut.dlq WHERE replay_of = $1 ORDER BY failed_at',
        [id],
      );
      console.log(
        JSON.stringify(
          {
            dlqId: row.dlq_id,
            stage: row.stage,
            reasons: row.reasons,
            source: {
              topic: row.source_topic,
              partition: row.source_partition,
              offset: Number(row.source_offset),
              schemaId: row.schema_id,
            },
            sourceSystem: row.source_system,
            deviceId: row.device_id,
            eventId: row.event_id,
            failedAt: row.failed_at,
            replayOf: row.replay_of,
            original: decoded,
            replays: replays.rows,
            failedAgainAs: history.rows,
          },
          (_k, v) => (typeof v === 'bigint' ? v.toString() : v),
          2,
        ),
      );
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
      // Not yet replayed ones only: replaying twice would just make the same duplicate twice.
      const rows = await pool.query<{
        dlq_id: string;
        source_topic: string;
        original_key: Buffer | null;
        original_value: Buffer | null;
        original_headers: Record<string, string>;
      }>(
        `SELECT dlq_id, source_topic, original_key, original_value, original_headers FROM ut.dlq d
          WHERE ${filterSql} AND original_value IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM ut.dlq_replays p WHERE p.dlq_id = d.dlq_id)
          ORDER BY source_topic, source_partition, source_offset`,
        filterArgs(f),
      );
      if (input.values['dry-run'] === true) {
        console.log(`would replay ${rows.rowCount} records`);
        return 0;
      }
      const producer = createKafka({ ...kafkaConnection(config) }).producer({
        allowAutoTopicCreation: false,
      });
      await producer.connect();
      let done = 0;
      try {
        for (const r of rows.rows) {
          const headers = Object.fromEntries(
            Object.entries(r.original_headers ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
          );
          const [meta] = await producer.send({
            topic: r.source_topic,
            acks: -1,
            messages: [
              {
                key: r.original_key,
                value: r.original_value,
                headers: { ...headers, 'ut-replay-of': r.dlq_id },
              },
            ],
          });
          await pool.query(
            'INSERT INTO ut.dlq_replays (dlq_id, target_topic, target_partition, target_offset, replayed_by) VALUES ($1, $2, $3, $4, $5)',
            [r.dlq_id, r.source_topic, meta!.partition, Number(meta!.baseOffset), os.userInfo().username],
          );
          if (++done % 1000 === 0) process.stderr.write(`replayed ${done}/${rows.rowCount}\n`);
        }
      } finally {
        await producer.disconnect();
      }
      console.log(`replayed ${done} records`);
      return 0;
    });
  },
};

export const dataCommands: Command[] = [masterdataLoad, masterdataList, dlqList, dlqShow, dlqReplay];
