/**
 * A CLI command: in commands/<first word>.ts, registered in commands/index.ts; it reads flags,
 * calls library code (libs/) and prints. The helpers below are shared by the command files.
 * Options use node's util.parseArgs config; `run` returns the exit code.
 * Errors thrown from `run` are printed as one line (UsageError → exit 2, others → exit 1).
 */
import type { ParseArgsConfig } from 'node:util';
import type pg from 'pg';
import { loadConfig } from '../../libs/config';
import { UsageError } from '../../libs/errors';
import { poolFor } from '../../libs/store';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface CommandInput {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

export interface Command {
  /** Words that select it, e.g. 'stack up' or 'epcis hash'. */
  name: string;
  summary: string;
  /** Shown by --help, after `unitrail <name> `, e.g. 'FILE [--prehash]'. */
  usage: string;
  options?: OptionSpec;
  /** Positional arguments allowed: [min, max]. Default [0, 0]. */
  positionals?: [number, number];
  run(input: CommandInput): Promise<number>;
}

/** Reads a string option, or undefined. */
export function optString(input: CommandInput, name: string): string | undefined {
  const v = input.values[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Reads a number option within [min, max] (whole unless `integer: false`), or `fallback` when absent
 * (a null fallback: the option is required).
 */
export function optNumber(
  input: CommandInput,
  name: string,
  fallback: number | null,
  { min = 0, max = Number.MAX_SAFE_INTEGER, integer = true } = {},
): number {
  const raw = optString(input, name);
  if (raw === undefined && fallback !== null) return fallback;
  const n = Number(raw ?? NaN);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new UsageError(
      `--${name} ${raw ?? '(missing)'} must be a ${integer ? 'whole ' : ''}number from ${min} to ${max}`,
    );
  }
  return n;
}

/** Progress and notes go to stderr, so stdout carries only the result. */
export const say = (line: string): void => void process.stderr.write(`${line}\n`);

/** Options that each take a string value, by flag name. */
export const stringOptions = (...flags: string[]): OptionSpec =>
  Object.fromEntries(flags.map((f) => [f, { type: 'string' as const }]));

/**
 * A comma-separated list of distinct names out of `known`, or (with `min`/`max`) of whole numbers
 * in that range.
 */
export function optNames(
  input: CommandInput,
  flag: string,
  fallback: string,
  known: string[],
  numbers?: { min: number; max: number },
): string[] {
  const list = (optString(input, flag) ?? fallback).split(',').map((s) => s.trim());
  const ok = (n: string) =>
    numbers
      ? Number.isInteger(Number(n)) && Number(n) >= numbers.min && Number(n) <= numbers.max
      : known.includes(n);
  if (list.some((n) => !ok(n)) || (!numbers && new Set(list).size !== list.length))
    throw new UsageError(
      numbers
        ? `--${flag} ${list.join(',')}: whole numbers ${numbers.min} to ${numbers.max}`
        : `--${flag} takes distinct names from ${known.join(', ')} (got ${list.join(',')})`,
    );
  return list;
}

/** Runs `fn` with a pool on DATABASE_URL, then closes it. */
export async function withPool<T>(fn: (pool: pg.Pool) => Promise<T>, { max = 2 } = {}): Promise<T> {
  const pool = poolFor(loadConfig(), { max });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

/** The demo stream's flags (`demo`, `produce demo`). */
export const demoOptions = stringOptions('events', 'dup-rate', 'invalid-rate', 'seed', 'faults');

export function demoArgs(input: CommandInput, defaultSeed: number) {
  return {
    events: optNumber(input, 'events', 1000, { min: 1, max: 10_000_000 }),
    dupRate: optNumber(input, 'dup-rate', 0, { max: 1, integer: false }),
    invalidRate: optNumber(input, 'invalid-rate', 0, { max: 1, integer: false }),
    seed: optNumber(input, 'seed', defaultSeed, { min: 0, max: 2 ** 31 - 1 }),
    /** The floor and its faults (docs/devices.md): `default`, `none` or a list. */
    faults: optString(input, 'faults'),
  };
}

/** Reads an ISO 8601 time option as epoch ms, or null when absent. */
export function optTime(input: CommandInput, name: string): number | null {
  const raw = optString(input, name);
  if (raw === undefined) return null;
  const t = Date.parse(raw);
  if (!Number.isFinite(t))
    throw new UsageError(`--${name} ${raw} is not a time; give ISO 8601, e.g. 2026-01-05T06:00:00Z`);
  return t;
}
