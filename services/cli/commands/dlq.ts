/** `unitrail dlq list|show|replay`: the dead-letter records (libs/dlq). */
import os from 'node:os';
import type { Command, CommandInput } from '../command';
import { optNumber, optSince, optString, printAs, say, withPool } from '../command';
import { loadConfig } from '../../../libs/config';
import { UsageError, UnitrailError } from '../../../libs/errors';
import { createKafka, kafkaConnection } from '../../../libs/kafka';
import { createCodec } from '../../../libs/avro';
import {
  dlqCounts,
  dlqDetail,
  dlqRecords,
  formatDlqList,
  replayCandidates,
  replayDlq,
  type DlqFilter,
} from '../../../libs/dlq';

const filterOf = (input: CommandInput): DlqFilter => ({
  reason: optString(input, 'reason'),
  source: optString(input, 'source')?.toUpperCase(),
  since: optSince(input),
});

const dlqList: Command = {
  name: 'dlq list',
  summary: 'DLQ records by reason and source: counts, then the newest records',
  usage: '[--reason CODE] [--source MES|WMS|TMS|EPCIS] [--since T] [--limit N] [--json]',
  async run(input) {
    const f = filterOf(input);
    const limit = optNumber(input, 'limit', 20);
    const [counts, records] = await withPool((pool) =>
      Promise.all([dlqCounts(pool, f), dlqRecords(pool, f, { limit })]),
    );
    printAs(input, { counts, records }, () => formatDlqList(counts, records));
    return 0;
  },
};

const dlqShow: Command = {
  name: 'dlq show',
  summary: 'One DLQ record: reasons, source coordinates, original bytes (decoded when possible), replays',
  usage: 'ID',
  async run({ positionals: [id] }) {
    const codec = createCodec({ url: loadConfig().schemaRegistryUrl });
    const detail = await withPool((pool) => dlqDetail(pool, codec, id!));
    if (!detail) throw new UnitrailError('NOT_FOUND', `no DLQ record '${id}' (see 'unitrail dlq list')`);
    console.log(JSON.stringify(detail, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2));
    return 0;
  },
};

const dlqReplay: Command = {
  name: 'dlq replay',
  summary: 'Send selected DLQ records back to the topic they came from (after fixing master data)',
  usage: '[--reason CODE] [--source S] [--since T] [--all] [--dry-run]',
  async run(input) {
    const f = filterOf(input);
    if (!f.reason && !f.source && !f.since && input.values.all !== true) {
      throw new UsageError('say which records to replay: --reason, --source, --since, or --all');
    }
    const kafka = createKafka(kafkaConnection(loadConfig()));
    const dryRun = input.values['dry-run'] === true;
    const n = await withPool((pool) =>
      dryRun
        ? replayCandidates(pool, f)
        : replayDlq(pool, kafka, f, {
            replayedBy: os.userInfo().username,
            onProgress: (done, total) => say(`replayed ${done}/${total}`),
          }),
    );
    console.log(dryRun ? `would replay ${n} records` : `replayed ${n} records`);
    return 0;
  },
};

export const dlqCommands: Command[] = [dlqList, dlqShow, dlqReplay];
