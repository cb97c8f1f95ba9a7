/**
 * A CLI command: one file in commands/, registered in commands/index.ts.
 * Options use node's util.parseArgs config; `run` returns the exit code.
 * Errors thrown from `run` are printed as one line (UsageError → exit 2, others → exit 1).
 */
import type { ParseArgsConfig } from 'node:util';

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
