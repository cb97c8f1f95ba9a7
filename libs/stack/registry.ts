/**
 * Apicurio Registry, whose ccompat API speaks the Confluent schema-registry protocol. Its
 * schemas live in an H2 file in the state dir, so they survive `down`/`up` together with the
 * Kafka records that carry their ids (the default in-memory store would forget them).
 */
import path from 'node:path';

export interface RegistryLayout {
  host: string;
  port: number;
  dataDir: string;
}

export function registryJavaArgs(runnerJar: string, { host, port, dataDir }: RegistryLayout): string[] {
  return [
    '-Xms64m',
    '-Xmx384m',
    '-XX:+UseSerialGC',
    '-XX:+ExitOnOutOfMemoryError',
    `-Dquarkus.http.host=${host}`,
    `-Dquarkus.http.port=${port}`,
    `-Dapicurio.datasource.url=jdbc:h2:file:${path.join(dataDir, 'registry')}`,
    '-jar',
    runnerJar,
  ];
}

/** True when GET <url>/subjects answers 200 (the ccompat API is ready, not just the socket). */
export async function registryAnswers(url: string, timeoutMs = 3000): Promise<boolean> {
  try {
    const res = await fetch(`${url.replace(/\/+$/, '')}/subjects`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}
