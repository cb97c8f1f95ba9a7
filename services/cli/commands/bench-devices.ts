/** `unitrail bench devices`: detection delays and false alarms of device-health over many seeds (libs/bench/devices.ts). */
import type { Command } from '../command';
import { optString, type CommandInput } from '../command';
import { UsageError } from '../../../libs/errors';
import { benchDevices } from '../../../libs/bench';
import { detectorSettingsOf } from '../../../libs/devices';
import { loadConfig } from '../../../libs/config';

const say = (line: string) => process.stderr.write(`${line}\n`);
const num = (
  input: CommandInput,
  name: string,
  fallback: number,
  { min = 0, max = Number.MAX_SAFE_INTEGER } = {},
) => {
  const raw = optString(input, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} ${raw} is not a whole number from ${min} to ${max}`);
  return n;
};

const benchDevicesCommand: Command = {
  name: 'bench devices',
  summary:
    'Device-health detectors on the demo floor of many seeds, no stack: faults missed, false alarms, delays',
  usage: '[--events N] [--seeds N] [--first-seed S] [--faults SPEC]',
  options: {
    events: { type: 'string' },
    seeds: { type: 'string' },
    'first-seed': { type: 'string' },
    faults: { type: 'string' },
  },
  async run(input) {
    const seeds = num(input, 'seeds', 30, { min: 1, max: 10_000 });
    const result = benchDevices(
      {
        events: num(input, 'events', 20_000, { min: 1000, max: 200_000 }),
        seeds,
        firstSeed: num(input, 'first-seed', 1, { min: 0, max: 2 ** 31 - 1 }),
        faults: optString(input, 'faults') ?? 'default',
        settings: detectorSettingsOf(loadConfig()),
      },
      (seed) => say(`bench devices: seed ${seed} done`),
    );
    console.log(JSON.stringify(result));
    return result.missed === 0 && result.falseAlarmsClean === 0 ? 0 : 1;
  },
};

export const benchDevicesCommands: Command[] = [benchDevicesCommand];
