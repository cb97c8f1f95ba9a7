/** `unitrail devices [--site GLN] [--json]` and `unitrail devices ack ID --note TEXT` (docs/devices.md). */
import type { Command } from '../command';
import { optString } from '../command';
import { loadConfig } from '../../../libs/config';
import { ackAlert, formatDevices, listDevices } from '../../../libs/devices';
import { UsageError } from '../../../libs/errors';
import { audit, cliActor } from '../../../libs/recalls';
import { poolFor } from '../../../libs/store';

const devices: Command = {
  name: 'devices',
  summary:
    'Every device with its health (ok, degrading, drifting, silent), metrics against its baseline, open alerts',
  usage: '[--site GLN] [--json]',
  options: { site: { type: 'string' }, json: { type: 'boolean' } },
  async run(input) {
    const site = optString(input, 'site');
    if (site !== undefined && !/^\d{13}$/.test(site))
      throw new UsageError(`--site ${site} is not a GLN (13 digits)`);
    const pool = poolFor(loadConfig(), { max: 1 });
    try {
      const rows = await listDevices(pool, { site });
      console.log(input.values.json === true ? JSON.stringify({ devices: rows }) : formatDevices(rows));
      return 0;
    } finally {
      await pool.end();
    }
  },
};

const devicesAck: Command = {
  name: 'devices ack',
  summary: 'Acknowledge a device alert with a note of what line maintenance did',
  usage: 'ID --note TEXT',
  options: { note: { type: 'string' } },
  positionals: [1, 1],
  async run(input) {
    const id = input.positionals[0]!;
    const note = optString(input, 'note');
    if (note === undefined) throw new UsageError('devices ack needs --note TEXT: what was done');
    const pool = poolFor(loadConfig(), { max: 1 });
    try {
      const alert = await ackAlert(pool, id, { note, by: cliActor() });
      await audit(pool, { actor: cliActor(), action: 'device.ack', resource: id, detail: { note } });
      console.log(`acknowledged ${alert.alertId} (${alert.kind} ${alert.metric} on ${alert.device})`);
      return 0;
    } finally {
      await pool.end();
    }
  },
};

export const devicesCommands: Command[] = [devices, devicesAck];
