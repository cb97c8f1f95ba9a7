/**
 * A CLI command: in commands/<first word>.ts, registered in commands/index.ts; it reads flags,
 * calls library code (libs/) and prints. The helpers below are shared by the command files.
 * Its flags and positional arguments are read from its `usage` line (so --help cannot disagree with
 * the parser): `--name VALUE` takes a value, `--name` alone is a switch, `ID` before the first flag
 * is a positional, `[ID]` an optional one, `ID...` one or more. `run` returns the exit code; errors
 * thrown from it are printed as one line (UsageError → exit 2, others → exit 1).
 */
import { readFileSync } from 'node:fs';
import type { ParseArgsConfig } from 'node:util';
import type pg from 'pg';
import { loadConfig } from '../../libs/config';
import { parseSince } from '../../libs/dlq';
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
  /** Shown by --help after `unitrail <name> `, e.g. 'FILE [--prehash]'; the flags are read from it. */
  usage: string;
  /** Flags the usage line does not show (for the supervisor's own use, say). */
  hiddenOptions?: OptionSpec;
  run(input: CommandInput): Promise<number>;
}

/** The flags a usage line names: `--name VALUE` takes a value, `--name` alone is a switch. */
export function flagsOf(usage: string): OptionSpec {
  const spec: OptionSpec = {};
  for (const [, name, value] of usage.matchAll(/--([a-z][a-z0-9-]*)(\s+[^\s[\]()-])?/g))
    spec[name!] ??= { type: value ? 'string' : 'boolean' };
  return spec;
}

/** The positional arguments a usage line names before its first flag, as [min, max]. */
export function positionalsOf(usage: string): [number, number] {
  const words = usage.split(/\s+/).filter(Boolean);
  const end = words.findIndex((w) => /^\[?--|^\(/.test(w));
  let [min, max] = [0, 0];
  for (const word of words.slice(0, end === -1 ? words.length : end)) {
    if (word.startsWith('[')) max += 1;
    else if (word.endsWith('...')) [min, max] = [min + 1, max + 100];
    else [min, max] = [min + 1, max + 1];
  }
  return [min, max];
}

/** Reads a string option, or undefined. */
export function optString(input: CommandInput, name: string): string | undefined {
  const v = input.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** Reads a string option that must be given; `why` completes the message. */
export function required(input: CommandInput, name: string, why = ''): string {
  const v = optString(input, name);
  if (!v) throw new UsageError(`--${name} is required${why}`);
  return v;
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
    const range = max === Number.MAX_SAFE_INTEGER ? `from ${min}` : `from ${min} to ${max}`;
    throw new UsageError(
      `--${name} ${raw ?? '(missing)'} must be a ${integer ? 'whole ' : ''}number ${range}`,
    );
  }
  return n;
}

/** A number of seconds (a fraction allowed) as milliseconds. */
export const optSeconds = (input: CommandInput, name: string, fallback: number, min = 0.001) =>
  optNumber(input, name, fallback, { min, integer: false }) * 1000;

/** One of `choices`, or `fallback` when absent. */
export function optChoice<T extends string>(input: CommandInput, name: string, choices: T[], fallback?: T) {
  const v = optString(input, name) ?? fallback;
  if (v !== undefined && !choices.includes(v as T))
    throw new UsageError(`--${name} ${v} must be ${choices.join(', ').replace(/, ([^,]+)$/, ' or $1')}`);
  return v as T;
}

/** A comma-separated option as a list (blank entries dropped; empty when absent). */
export const optList = (input: CommandInput, name: string): string[] =>
  (optString(input, name) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

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

/** Reads an ISO 8601 time option as epoch ms, or null when absent. */
export function optTime(input: CommandInput, name: string): number | null {
  const raw = optString(input, name);
  if (raw === undefined) return null;
  const t = Date.parse(raw);
  if (!Number.isFinite(t))
    throw new UsageError(`--${name} ${raw} is not a time; give ISO 8601, e.g. 2026-01-05T06:00:00Z`);
  return t;
}

/** `--since`: an ISO time, or an age such as 2h (libs/dlq parseSince). */
export function optSince(input: CommandInput): Date | undefined {
  const since = optString(input, 'since');
  return since === undefined ? undefined : parseSince(since, Date.now(), { label: '--since' });
}

/** The bearer token of the HTTP APIs: --token or UNITRAIL_TOKEN. */
export function tokenOf(input: CommandInput, hint = ''): string {
  const token = optString(input, 'token') ?? process.env.UNITRAIL_TOKEN;
  if (!token) throw new UsageError(`no token: pass --token or set UNITRAIL_TOKEN${hint}`);
  return token;
}

/** The capture API: --url, or this machine's CAPTURE_PORT. */
export const captureUrl = (input: CommandInput) =>
  optString(input, 'url') ?? `http://127.0.0.1:${loadConfig().capturePort}`;

/** A file the person named, or a one-line reason it cannot be read. */
export function readInput(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new UsageError(`cannot read ${file}: ${why}`);
  }
}

/** Progress and notes go to stderr, so stdout carries only the result. */
export const say = (line: string): void => void process.stderr.write(`${line}\n`);

/** Prints the result: one JSON line with --json, else the text for people. */
export const printAs = (input: CommandInput, json: unknown, text: () => string): void =>
  console.log(input.values.json === true ? JSON.stringify(json) : text());

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
