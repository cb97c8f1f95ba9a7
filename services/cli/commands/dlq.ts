/** `unitrail dlq list|show|replay`: the dead-letter records (libs/dlq). */
import os from 'node:os';
import type { Command, CommandInput } from '../command';
import { optString, withPool } from '../command';
import { loadConfig } from '../../../libs/config';
import { UsageError, UnitrailError } from '../../../libs/errors';
import { createKafka, kafkaConnection } from '../../../libs/kafka';
import { createCodec } from '../../../libs/avro';
import {
  dlqCounts,
  dlqDetail,
  dlqRecords,
  parseSince,
  replayCandidates,
  replayDlq,
  type DlqFilter,
} from '../../../libs/dlq';

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

export const dlqCommands: Command[] = [dlqList, dlqShow, dlqReplay];
