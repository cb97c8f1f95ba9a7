/**
 * `unitrail recall declare|close|list|report|quarantine|notify`: the recall coordinator's commands.
 * They act on the database and Kafka directly (the ops API offers the same over HTTP); every change
 * is written to the audit log as cli:<user>.
 */
import type { Command } from '../command';
import { optChoice, optList, optString, optTime, printAs, required, say } from '../command';
import { auditCli, cliActor } from '../../../libs/audit';
import { loadConfig } from '../../../libs/config';
import {
  closeRecall,
  declareRecall,
  describeScope,
  formatNotice,
  formatRecallLine,
  formatReport,
  listRecalls,
  notifyAll,
  quarantine,
  readSerials,
  recallReport,
  reportFormats,
  requireRecall,
  withOpsDeps,
  type NoticeOutcome,
  type OpsDeps,
} from '../../../libs/recalls';

const withDeps = <T>(fn: (deps: OpsDeps) => Promise<T>) => withOpsDeps(loadConfig(), fn);
/** Each notice on stderr; exit 1 when a webhook failed. */
const noticesSent = (notices: NoticeOutcome[]) => {
  for (const n of notices) say(formatNotice(n));
  return notices.some((n) => n.webhook.startsWith('failed')) ? 1 : 0;
};

const declare: Command = {
  name: 'recall declare',
  summary:
    'Declare a recall: written to PostgreSQL and ut.recalls.v1; the router sends its events to the surge topic',
  usage: '--gtin G [--lots L1,L2] [--from T --to T] [--device D] [--serials FILE] --reason TEXT [--json]',
  async run(input) {
    const gtin = required(input, 'gtin');
    const reason = required(input, 'reason', ': say why the goods are recalled');
    const serialsFile = optString(input, 'serials');
    const scope = {
      gtin: gtin.padStart(14, '0'),
      lots: optList(input, 'lots'),
      serials: serialsFile ? readSerials(serialsFile) : [],
      fromTime: optTime(input, 'from'),
      toTime: optTime(input, 'to'),
      deviceId: optString(input, 'device') ?? null,
      reason,
    };
    const { recall, units } = await withDeps(async (deps) => {
      const declared = await declareRecall(deps, scope, { declaredBy: cliActor() });
      await auditCli(deps.pool, 'recall.declare', declared.recall.recallId, { units: declared.units });
      return declared;
    });
    printAs(input, { recall, units }, () => recall.recallId);
    if (input.values.json !== true)
      say(
        `recall ${recall.recallId} declared: ${describeScope(recall)}; ${units} units in the store now, ${recall.containers.length} containers holding them`,
      );
    return 0;
  },
};

const close: Command = {
  name: 'recall close',
  summary: 'Close a recall: its scope returns to the normal flow',
  usage: 'ID',
  async run({ positionals: [id] }) {
    const r = await withDeps(async (deps) => {
      const closed = await closeRecall(deps, id!, { closedBy: cliActor() });
      await auditCli(deps.pool, 'recall.close', id!);
      return closed;
    });
    say(`recall ${id} closed at ${new Date(r.closedAt!).toISOString()}`);
    return 0;
  },
};

const list: Command = {
  name: 'recall list',
  summary: 'List recalls, newest first',
  usage: '[--status active|closed] [--json]',
  async run(input) {
    const status = optChoice(input, 'status', ['active', 'closed']);
    const recalls = await withDeps(({ pool }) => listRecalls(pool, { status }));
    if (input.values.json !== true && recalls.length === 0) say('no recalls');
    else printAs(input, recalls, () => recalls.map(formatRecallLine).join('\n'));
    return 0;
  },
};

const report: Command = {
  name: 'recall report',
  summary:
    'Every unit in a recall: where it is, its containers, custodian, status; counts by site and partner',
  usage: 'ID [--format table|csv|epcis|json]',
  async run(input) {
    const format = optChoice(input, 'format', [...reportFormats], 'table');
    const id = input.positionals[0]!;
    const r = await withDeps(async ({ pool }) => {
      const found = await recallReport(pool, await requireRecall(pool, id));
      await auditCli(pool, 'recall.report', id, { format });
      return found;
    });
    process.stdout.write(formatReport(r, format));
    say(`${r.units.length} units; report query ${r.queryMs.toFixed(0)} ms`);
    return 0;
  },
};

const quarantineCommand: Command = {
  name: 'recall quarantine',
  summary:
    "Quarantine a recall's units (EPCIS holding events through the pipeline) and notify partners once each",
  usage: 'ID [--site GLN] [--disposition recalled|non_sellable_other] [--no-notify]',
  async run(input) {
    const id = input.positionals[0]!;
    const site = optString(input, 'site') ?? null;
    const outcome = await withDeps(async (deps) => {
      const done = await quarantine(deps, id, {
        site,
        disposition: (optString(input, 'disposition') ?? 'recalled') as 'recalled',
        notify: input.values['no-notify'] !== true,
        requestedBy: cliActor(),
      });
      await auditCli(deps.pool, 'recall.quarantine', id, { site, units: done.quarantine.units });
      return done;
    });
    say(
      `recall ${id}: ${outcome.quarantine.units} units quarantined in ${outcome.quarantine.events} EPCIS events`,
    );
    const exit = noticesSent(outcome.notices);
    console.log(JSON.stringify(outcome));
    return exit;
  },
};

const notify: Command = {
  name: 'recall notify',
  summary: 'Send partner notices for a recall (each partner once; failed webhooks are tried again)',
  usage: 'ID',
  async run({ positionals: [id] }) {
    const notices = await withDeps(async (deps) => {
      const sent = await notifyAll(deps, id!);
      await auditCli(deps.pool, 'recall.notify', id!);
      return sent;
    });
    if (notices.length === 0) say(`recall ${id}: no partner holds affected units`);
    return noticesSent(notices);
  },
};

export const recallCommands: Command[] = [declare, close, list, report, quarantineCommand, notify];
