/**
 * A CLI command: one file in commands/, registered in commands/index.ts.
 * Options use node's util.parseArgs config; `run` returns the exit code.
 * Errors thrown from `run` are printed as one line (UsageError → exit 2, others → exit 1).
 */
import type { ParseArgsConfig } from 'node:util';
import { UsageError } from '../../libs/errors';

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

/** Reads a number option within [min, max] (whole unless `integer: false`), or `fallback` when absent. */
export function optNumber(
  input: CommandInput,
  name: string,
  fallback: number,
  { min = 0, max = Number.MAX_SAFE_INTEGER, integer = true } = {},
): number {
  const raw = optString(input, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} ${raw} must be a ${integer ? 'whole ' : ''}number from ${min} to ${max}`);
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
