/** The programs the local stack needs, found once, each missing one named with how to get it. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { UnitrailError } from '../errors';

const run = promisify(execFile);
export const MIN_JAVA = 17;

/** A program the stack needs is missing: not retriable, the message says how to get it. */
export function prerequisiteError(message: string): UnitrailError {
  return new UnitrailError('STACK_PREREQUISITE', message);
}

/**
 * The feature release from `java -version` output: `openjdk version "17.0.15"` → 17,
 * `java version "1.8.0_292"` → 8 (before Java 9 the major was the second number).
 */
export function parseJavaVersion(output: string): number | undefined {
  const quoted = /version "([^"]+)"/.exec(output)?.[1];
  if (!quoted) return undefined;
  const parts = quoted.split(/[.+_-]/).map((p) => Number.parseInt(p, 10));
  const major = parts[0] === 1 ? parts[1] : parts[0];
  return major !== undefined && Number.isInteger(major) ? major : undefined;
}

export interface Java {
  bin: string;
  version: number;
}

/** JAVA_HOME/bin/java when JAVA_HOME is set, else `java` from PATH; must be 17 or newer. */
export async function findJava(env: NodeJS.ProcessEnv = process.env): Promise<Java> {
  const bin = env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin', 'java') : 'java';
  const howTo = 'install a JDK 17 (apt-get install openjdk-17-jdk-headless) or set JAVA_HOME';
  let output: string;
  try {
    const { stdout, stderr } = await run(bin, ['-version'], { timeout: 30_000 });
    output = stderr + stdout;
  } catch {
    throw prerequisiteError(`Java ${MIN_JAVA}+ not found (tried ${bin}): ${howTo}`);
  }
  const version = parseJavaVersion(output);
  if (version === undefined || version < MIN_JAVA) {
    throw prerequisiteError(`Java ${MIN_JAVA}+ needed, ${bin} is Java ${version ?? '(unknown)'}: ${howTo}`);
  }
  return { bin, version };
}

/** Maven resolves Kafka and the registry from Maven Central; needed only while the cache is empty. */
export async function findMaven(): Promise<string> {
  try {
    await run('mvn', ['-v'], { timeout: 60_000 });
    return 'mvn';
  } catch {
    throw prerequisiteError(
      'Maven not found: install it (apt-get install maven) or put mvn on PATH; it fetches Kafka and the registry once',
    );
  }
}

/** Directory holding initdb and postgres: PATH first, then the newest /usr/lib/postgresql/<ver>/bin. */
export function findPostgresBin(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const has = (dir: string) =>
    fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'postgres'));
  const onPath = whichSync('initdb', env);
  if (onPath) {
    const dir = path.dirname(fs.realpathSync(onPath));
    if (has(dir)) return dir;
  }
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return versions.map((v) => path.join(root, v, 'bin')).find(has);
}

export function findRedisServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return whichSync('redis-server', env);
}

function whichSync(program: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, program);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
