/**
 * Outside clients (issue 13 §4): a Java producer with a published Avro serde from Maven Central
 * (Apicurio's, in the Confluent wire format) publishes MES records that land in PostgreSQL, and a
 * Java consumer decodes ut.journey.v1 with the same serde. Maven builds deploy/jvm-client, as it
 * resolves the local stack.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import avro from 'avsc';
import type pg from 'pg';
import { config, randomSeed, Stages, waitFor } from './helpers';
import { createKafka } from '../libs/kafka';
import { AVRO_DIR, avroType, createCodec, loadSchema } from '../libs/avro';
import { createPool } from '../libs/store';
import { demoMasterdata, generateDemo } from '../libs/demo';
import { loadMasterdata } from '../libs/masterdata';
import { normalize } from '../libs/sources';
import { topics } from '../libs/topics';
import { stageNames } from '../services/stages';

jest.setTimeout(900_000);

const project = path.join(__dirname, '..', 'deploy', 'jvm-client');
const kafka = createKafka({ brokers: config.kafkaBrokers });
const codec = createCodec({ url: config.schemaRegistryUrl });
// The serde speaks the registry's own v2 API; unitrail the Confluent-compatible one of the same registry.
const registryV2 = config.schemaRegistryUrl.replace(/\/apis\/ccompat\/v7\/?$/, '/apis/registry/v2');
const jvm = { ...process.env, MAVEN_OPTS: '-Xmx256m', JAVA_TOOL_OPTIONS: '-Xmx192m' };
let pool: pg.Pool;
let dir: string;
let classpath: string;

const java = (...args: string[]) =>
  spawnSync('java', ['-cp', classpath, 'dev.unitrail.client.Client', ...args], {
    env: jvm,
    encoding: 'utf8',
    timeout: 300_000,
  });

beforeAll(async () => {
  pool = createPool(config.databaseUrl);
  await loadMasterdata(pool, kafka, codec, demoMasterdata());
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unitrail-jvm-'));
  const build = spawnSync('mvn', ['-q', '-B', '-Dstyle.color=never', 'package'], {
    cwd: project,
    env: jvm,
    encoding: 'utf8',
    timeout: 600_000,
  });
  expect([build.status, build.status === 0 ? '' : build.stderr + build.stdout]).toEqual([0, '']);
  classpath = [
    path.join(project, 'target', 'classes'),
    fs.readFileSync(path.join(project, 'target', 'classpath.txt'), 'utf8').trim(),
  ].join(path.delimiter);
});
afterAll(async () => {
  await pool.end();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('a Java producer publishes MES records that land, and a Java consumer decodes ut.journey.v1', async () => {
  const mes = topics.rawMes.name;
  const records = generateDemo({ events: 300, seed: randomSeed() }).filter(
    (r) => r.topic === mes && r.kind === 'valid',
  );
  expect(records.length).toBeGreaterThan(10);
  // Avro's JSON encoding (unions wrapped), which the Java side reads with the same .avsc.
  const name = 'sources/mes-unit-event';
  const wrapped = avro.Type.forSchema(loadSchema(name), { wrapUnions: true });
  const lines = records.map(
    (r) => `${r.key}\t${wrapped.toString(wrapped.fromBuffer(avroType(name).toBuffer(r.value)))}`,
  );
  fs.writeFileSync(path.join(dir, 'records.tsv'), lines.join('\n'));
  const expected = records
    .map((r) => normalize(mes, r.value, { topic: mes, partition: 0, offset: 0, schemaId: 0 }).eventId)
    .sort();

  const stages = new Stages();
  stages.start(...stageNames);
  try {
    const produced = java(
      'produce',
      config.kafkaBrokers.join(','),
      registryV2,
      mes,
      path.join(AVRO_DIR, `${name}.avsc`),
      path.join(dir, 'records.tsv'),
    );
    expect(produced.stderr).not.toMatch(/Exception/);
    expect(produced.stdout.trim()).toBe(`sent ${records.length}`);

    const landed = await waitFor(
      'the Java-produced records to land',
      async () => {
        const rows = await pool.query<{ event_id: string }>(
          'SELECT event_id FROM ut.events WHERE event_id = ANY($1::text[])',
          [expected],
        );
        return rows.rowCount === expected.length && rows.rows.map((r) => r.event_id).sort();
      },
      { timeoutMs: 300_000 },
    );
    expect(landed).toEqual(expected);
  } finally {
    await stages.stopAll();
  }

  fs.writeFileSync(path.join(dir, 'ids.txt'), expected.join('\n'));
  const read = java(
    'read',
    config.kafkaBrokers.join(','),
    registryV2,
    topics.journey.name,
    path.join(dir, 'ids.txt'),
    '180',
  );
  expect(read.stderr).toMatch(/missing 0/);
  expect(read.status).toBe(0);
  expect(read.stdout.trim().split('\n').sort()).toEqual(expected);
});
