/** `unitrail devices [--site GLN] [--json]` and `unitrail devices ack ID --note TEXT` (docs/devices.md). */
import type { Command } from '../command';
import { optString, printAs, required, withPool } from '../command';
import { auditCli, cliActor } from '../../../libs/audit';
import { ackAlert, formatDevices, listDevices } from '../../../libs/devices';
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

export const devicesCommands: Command[] = [devices, devicesAck];
