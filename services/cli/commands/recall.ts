/**
 * `unitrail recall declare|close|list|report|quarantine|notify`: the recall coordinator's commands.
 * They act on the database and Kafka directly (the ops API offers the same over HTTP); every change
 * is written to the audit log as cli:<user>.
 */
import type { Command } from '../command';
import { optString, optTime, say } from '../command';
import { loadConfig } from '../../../libs/config';
import { UsageError } from '../../../libs/errors';
import {
  audit,
  cliActor,
  closeRecall,
  declareRecall,
  describeScope,
  formatCsv,
  formatEpcis,
  formatTable,
  listRecalls,
  notifyAll,
  quarantine,
  readSerials,
  recallReport,
  requireRecall,
  withOpsDeps,
} from '../../../libs/recalls';

const declare: Command = {
  name: 'recall declare',
  summary:
    'Declare a recall: written to PostgreSQL and ut.recalls.v1; the router sends its events to the surge topic',
  usage: '--gtin G [--lots L1,L2] [--from T --to T] [--device D] [--serials FILE] --reason TEXT [--json]',
  options: {
    gtin: { type: 'string' },
    lots: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    device: { type: 'string' },
    serials: { type: 'string' },
    reason: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(input) {
    const gtin = optString(input, 'gtin');
    const reason = optString(input, 'reason');
    if (!gtin) throw new UsageError('--gtin is required');
    if (!reason) throw new UsageError('--reason is required: say why the goods are recalled');
    const serialsFile = optString(input, 'serials');
    return withOpsDeps(loadConfig(), async (deps) => {
      const { recall, units } = await declareRecall(
        deps,
        {
          gtin: gtin.padStart(14, '0'),
          lots: (optString(input, 'lots') ?? '')
            .split(',')
            .map((l) => l.trim())
            .filter(Boolean),
          serials: serialsFile ? readSerials(serialsFile) : [],
          fromTime: optTime(input, 'from'),
          toTime: optTime(input, 'to'),
          deviceId: optString(input, 'device') ?? null,
          reason,
        },
        { declaredBy: cliActor() },
      );
      await audit(deps.pool, {
        actor: cliActor(),
        action: 'recall.declare',
        resource: recall.recallId,
        detail: { units },
      });
      if (input.values.json === true) console.log(JSON.stringify({ recall, units }));
      else {
        console.log(recall.recallId);
        say(
          `recall ${recall.recallId} declared: ${describeScope(recall)}; ${units} units in the store now, ${recall.containers.length} containers holding them`,
        );
      }
      return 0;
    });
  },
};

const close: Command = {
  name: 'recall close',
  summary: 'Close a recall: its scope returns to the normal flow',
  usage: 'ID',
  positionals: [1, 1],
  async run(input) {
    const id = input.positionals[0]!;
    return withOpsDeps(loadConfig(), async (deps) => {
      const r = await closeRecall(deps, id, { closedBy: cliActor() });
      await audit(deps.pool, { actor: cliActor(), action: 'recall.close', resource: id });
      say(`recall ${id} closed at ${new Date(r.closedAt!).toISOString()}`);
      return 0;
    });
  },
};

const list: Command = {
  name: 'recall list',
  summary: 'List recalls, newest first',
  usage: '[--status active|closed] [--json]',
  options: { status: { type: 'string' }, json: { type: 'boolean' } },
  async run(input) {
    const status = optString(input, 'status');
    if (status !== undefined && status !== 'active' && status !== 'closed') {
      throw new UsageError(`--status ${status} must be active or closed`);
    }
    return withOpsDeps(loadConfig(), async ({ pool }) => {
      const recalls = await listRecalls(pool, { status });
      if (input.values.json === true) console.log(JSON.stringify(recalls));
      else if (recalls.length === 0) say('no recalls');
      else {
        for (const r of recalls) {
          console.log(
            `${r.recallId}  ${r.status.padEnd(6)}  ${new Date(r.declaredAt).toISOString().slice(0, 16)}  ${describeScope(r)}  ${r.quarantinedAt !== null ? 'quarantined  ' : ''}${r.reason}`,
          );
        }
      }
      return 0;
    });
  },
};

const report: Command = {
  name: 'recall report',
  summary:
    'Every unit in a recall: where it is, its containers, custodian, status; counts by site and partner',
  usage: 'ID [--format table|csv|epcis|json]',
  options: { format: { type: 'string' } },
  positionals: [1, 1],
  async run(input) {
    const format = optString(input, 'format') ?? 'table';
    if (!['table', 'csv', 'epcis', 'json'].includes(format)) {
      throw new UsageError(`--format ${format} must be table, csv, epcis or json`);
    }
    const id = input.positionals[0]!;
    return withOpsDeps(loadConfig(), async ({ pool }) => {
      const r = await recallReport(pool, await requireRecall(pool, id));
      await audit(pool, { actor: cliActor(), action: 'recall.report', resource: id, detail: { format } });
      const out =
        format === 'csv'
          ? formatCsv(r)
          : format === 'epcis'
            ? formatEpcis(r)
            : format === 'json'
              ? JSON.stringify(r)
              : formatTable(r);
      process.stdout.write(out.endsWith('\n') ? out : `${out}\n`);
      say(`${r.units.length} units; report query ${r.queryMs.toFixed(0)} ms`);
      return 0;
    });
  },
};

const quarantineCommand: Command = {
  name: 'recall quarantine',
  summary:
    "Quarantine a recall's units (EPCIS holding events through the pipeline) and notify partners once each",
  usage: 'ID [--site GLN] [--disposition recalled|non_sellable_other] [--no-notify]',
  options: { site: { type: 'string' }, disposition: { type: 'string' }, 'no-notify': { type: 'boolean' } },
  positionals: [1, 1],
  async run(input) {
    const id = input.positionals[0]!;
    return withOpsDeps(loadConfig(), async (deps) => {
      const outcome = await quarantine(deps, id, {
        site: optString(input, 'site') ?? null,
        disposition: (optString(input, 'disposition') ?? 'recalled') as 'recalled',
        notify: input.values['no-notify'] !== true,
        requestedBy: cliActor(),
      });
      await audit(deps.pool, {
        actor: cliActor(),
        action: 'recall.quarantine',
        resource: id,
        detail: { site: optString(input, 'site') ?? null, units: outcome.quarantine.units },
      });
      say(
        `recall ${id}: ${outcome.quarantine.units} units quarantined in ${outcome.quarantine.events} EPCIS events`,
      );
      for (const n of outcome.notices)
        say(`partner ${n.partner} (${n.units} units): alert ${n.alert}, webhook ${n.webhook}`);
      console.log(JSON.stringify(outcome));
      return outcome.notices.some((n) => n.webhook.startsWith('failed')) ? 1 : 0;
    });
  },
};

const notify: Command = {
  name: 'recall notify',
  summary: 'Send partner notices for a recall (each partner once; failed webhooks are tried again)',
  usage: 'ID',
  positionals: [1, 1],
  async run(input) {
    const id = input.positionals[0]!;
    return withOpsDeps(loadConfig(), async (deps) => {
      const notices = await notifyAll(deps, id);
      await audit(deps.pool, { actor: cliActor(), action: 'recall.notify', resource: id });
      for (const n of notices)
        say(`partner ${n.partner} (${n.units} units): alert ${n.alert}, webhook ${n.webhook}`);
      if (notices.length === 0) say(`recall ${id}: no partner holds affected units`);
      return notices.some((n) => n.webhook.startsWith('failed')) ? 1 : 0;
    });
  },
};

export const recallCommands: Command[] = [declare, close, list, report, quarantineCommand, notify];
