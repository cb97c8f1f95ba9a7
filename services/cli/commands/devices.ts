/**
 * `unitrail devices [--site GLN] [--json]`, `unitrail devices ack ID --note TEXT` and
 * `unitrail devices history [--backfill] [--json]` (docs/devices.md).
 */
import type { Command } from '../command';
import { optString, printAs, required, say, withPool } from '../command';
import { createCodec } from '../../../libs/avro';
import { loadConfig } from '../../../libs/config';
import { createKafka, kafkaConnection } from '../../../libs/kafka';
import { auditCli, cliActor } from '../../../libs/audit';
import {
  ackAlert,
  backfillHistory,
  formatDevices,
  historyCoverage,
  listDevices,
  type BackfillPlan,
  type DeviceCoverage,
} from '../../../libs/devices';
import { UsageError } from '../../../libs/errors';

const devices: Command = {
  name: 'devices',
  summary:
    'Every device with its health (ok, degrading, drifting, silent), metrics against its baseline, open alerts',
  usage: '[--site GLN] [--json]',
  async run(input) {
    const site = optString(input, 'site');
    if (site !== undefined && !/^\d{13}$/.test(site))
      throw new UsageError(`--site ${site} is not a GLN (13 digits)`);
    const rows = await withPool((pool) => listDevices(pool, { site }), { max: 1 });
    printAs(input, { devices: rows }, () => formatDevices(rows));
    return 0;
  },
};

const devicesAck: Command = {
  name: 'devices ack',
  summary: 'Acknowledge a device alert with a note of what line maintenance did',
  usage: 'ID --note TEXT',
  async run(input) {
    const id = input.positionals[0]!;
    const note = required(input, 'note', ': what line maintenance did');
    const alert = await withPool(async (pool) => {
      const acked = await ackAlert(pool, id, { note, by: cliActor() });
      await auditCli(pool, 'device.ack', id, { note });
      return acked;
    });
    console.log(`acknowledged ${alert.alertId} (${alert.kind} ${alert.metric} on ${alert.device})`);
    return 0;
  },
};

const devicesHistory: Command = {
  name: 'devices history',
  summary:
    "Each device's history (ut.device_health_history) against what device-health applied; --backfill counts the missing records again from the topics",
  usage: '[--backfill] [--json]',
  async run(input) {
    if (input.values.backfill !== true) {
      const rows = await withPool((pool) => historyCoverage(pool), { max: 1 });
      printAs(input, { devices: rows }, () => formatCoverage(rows));
      return 0;
    }
    const config = loadConfig();
    const kafka = createKafka({ ...kafkaConnection(config), clientId: 'unitrail-devices-history' });
    const codec = createCodec({ url: config.schemaRegistryUrl });
    const plan = await withPool((pool) => backfillHistory(pool, kafka, codec), { max: 1 });
    printAs(input, { added: plan.add.length, devices: plan.devices }, () => formatBackfill(plan));
    const left = plan.devices.filter(
      (d) => d.verifications.status === 'incomplete' || d.events.status === 'incomplete',
    );
    if (left.length === 0) return 0;
    say(`${left.length} device(s) left incomplete: ${left.map((d) => d.device).join(', ')} (reasons above)`);
    return 1;
  },
};

/** The history's totals against the devices' counters, one line a device. */
function formatCoverage(rows: DeviceCoverage[]): string {
  if (rows.length === 0) return 'no device has been seen by device-health';
  return rows
    .map((r) => {
      const missing = r.verifications.applied - r.verifications.stored + (r.events.applied - r.events.stored);
      return `${r.device}: verifications ${r.verifications.stored}/${r.verifications.applied}, events ${r.events.stored}/${r.events.applied} in the history${missing > 0 ? ' (devices history --backfill adds the rest)' : ''}`;
    })
    .join('\n');
}

/** What the backfill did per device and kind of record. */
function formatBackfill(plan: BackfillPlan): string {
  const lines = plan.devices.flatMap((d) =>
    (['verifications', 'events'] as const).map((f) => {
      const r = d[f];
      const what = `${d.device} ${f}: ${r.status}, ${r.stored} in the history, ${r.recount} in the topics, ${r.applied} applied`;
      return r.status === 'incomplete' ? `${what}; ${r.reason}` : `${what}, ${r.added} added`;
    }),
  );
  return [...lines, `${plan.add.length} bucket(s) changed`].join('\n');
}

export const devicesCommands: Command[] = [devices, devicesAck, devicesHistory];
