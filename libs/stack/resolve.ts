/**
 * Fetches the stack's Java parts from Maven Central into the jar cache, once per version.
 * A copy is made in a scratch directory, marked complete, then renamed into place, so an
 * interrupted run never leaves a half cache that later runs would trust.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { UnitrailError, oneLine } from '../errors';
import { apicurioDir, kafkaJarsDir, pomPath, stackVersions } from './paths';
import { findMaven } from './prerequisites';

const run = promisify(execFile);
const MARKER = '.resolved';

export function isResolved(dir: string): boolean {
  return fs.existsSync(path.join(dir, MARKER));
}

/** The Kafka jars directory, resolving it first when missing (for `java -cp "<dir>/*"`). */
export async function resolveKafkaJars(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { kafka } = stackVersions(env);
  return resolveInto(kafkaJarsDir(env), 'kafka', async (scratch, mvn) => {
    await maven(mvn, [
      'dependency:copy-dependencies',
      `-Dkafka.version=${kafka}`,
      `-DoutputDirectory=${scratch}`,
      '-DincludeScope=runtime',
    ]);
  });
}

/** The Apicurio Registry directory (holding apicurio-registry-app-<ver>-runner.jar), resolving it when missing. */
export async function resolveApicurio(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { apicurio } = stackVersions(env);
  return resolveInto(apicurioDir(env), 'registry', async (scratch, mvn) => {
    await maven(mvn, [
      'dependency:copy',
      `-Dartifact=io.apicurio:apicurio-registry-app:${apicurio}:tar.gz:all`,
      `-DoutputDirectory=${scratch}`,
    ]);
    const archive = fs.readdirSync(scratch).find((f) => f.endsWith('.tar.gz'));
    if (!archive) throw new Error(`Maven gave no apicurio-registry-app ${apicurio} archive`);
    await run('tar', ['-xzf', archive], { cwd: scratch });
    fs.rmSync(path.join(scratch, archive));
  });
}

export function apicurioRunnerJar(dir: string): string {
  const jar = fs.readdirSync(dir).find((f) => /^apicurio-registry-app-.*-runner\.jar$/.test(f));
  if (!jar)
    throw new UnitrailError(
      'STACK_CACHE',
      `no apicurio runner jar in ${dir}; delete that directory and retry`,
    );
  return path.join(dir, jar);
}

async function resolveInto(
  dir: string,
  part: string,
  fill: (scratch: string, mvn: string) => Promise<void>,
): Promise<string> {
  if (isResolved(dir)) return dir;
  const mvn = await findMaven();
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const scratch = `${dir}.partial-${process.pid}`;
  fs.rmSync(scratch, { recursive: true, force: true });
  fs.mkdirSync(scratch);
  try {
    await fill(scratch, mvn);
    fs.writeFileSync(path.join(scratch, MARKER), `${new Date().toISOString()}\n`);
    if (isResolved(dir)) return dir; // a concurrent run finished first: keep its copy
    fs.rmSync(dir, { recursive: true, force: true }); // an unmarked, interrupted copy
    try {
      fs.renameSync(scratch, dir);
    } catch (err) {
      if (!isResolved(dir)) throw err; // otherwise a concurrent run finished first: use its copy
    }
    return dir;
  } catch (err) {
    throw new UnitrailError(
      'STACK_RESOLVE',
      `${part}: could not fetch from Maven Central into ${dir}: ${oneLine(err)}`,
      {
        retriable: true,
        cause: err,
      },
    );
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

async function maven(mvn: string, args: string[]): Promise<void> {
  try {
    await run(mvn, ['-q', '-B', '-f', pomPath(), ...args], {
      maxBuffer: 64 * 1024 * 1024,
      timeout: 15 * 60_000,
    });
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    const errorLine = `${stdout}\n${stderr}`.split('\n').find((l) => l.includes('[ERROR]'));
    throw new Error(errorLine?.replace('[ERROR]', '').trim() || oneLine(err));
  }
}
