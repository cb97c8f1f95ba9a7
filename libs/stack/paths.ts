/**
 * Where the local stack keeps things: the jar cache (shared by every clone and CI run of this
 * machine, so Maven runs once) and the state dir (this clone's data, logs, pids).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { settings } from '../config';

/** The repository root: the nearest ancestor holding deploy/local/pom.xml (works from libs/ and dist/libs/). */
export function repoRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'deploy', 'local', 'pom.xml'))) return dir;
    if (path.dirname(dir) === dir) return process.cwd();
  }
}

export function pomPath(): string {
  return path.join(repoRoot(), 'deploy', 'local', 'pom.xml');
}

/** `${XDG_CACHE_HOME:-~/.cache}/unitrail` */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache'), 'unitrail');
}

/**
 * UNITRAIL_STATE_DIR as given (relative to the working directory), else deploy/local/.data
 * under the repository root, so every command of one clone finds the same stack wherever it runs.
 */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  const given = env[settings.stateDir.env];
  return given ? path.resolve(given) : path.join(repoRoot(), settings.stateDir.default);
}

/** Versions come from deploy/local/pom.xml (one place), overridable by KAFKA_VERSION / APICURIO_VERSION. */
export function stackVersions(env: NodeJS.ProcessEnv = process.env): { kafka: string; apicurio: string } {
  let pom = '';
  try {
    pom = fs.readFileSync(pomPath(), 'utf8');
  } catch {
    // no pom (e.g. an installed build): fall back to the versions this code was tested with
  }
  const prop = (name: string, fallback: string) =>
    new RegExp(`<${name.replace('.', '\\.')}>([^<]+)</`).exec(pom)?.[1]?.trim() ?? fallback;
  return {
    kafka: env.KAFKA_VERSION || prop('kafka.version', '4.4.0'),
    apicurio: env.APICURIO_VERSION || prop('apicurio.version', '3.0.9'),
  };
}

/** The Kafka jars (broker, tools, perf tests): `java -cp "<dir>/*" ...`. May not be resolved yet: see resolveKafkaJars. */
export function kafkaJarsDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheRoot(env), `kafka-${stackVersions(env).kafka}`);
}

export function apicurioDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheRoot(env), `apicurio-${stackVersions(env).apicurio}`);
}
