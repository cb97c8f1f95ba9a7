/**
 * Avro in the Confluent wire format (magic 0, 4-byte schema id, Avro body), schemas in the registry.
 * Writers encode with the id registered under `<topic>-value`; readers decode by the writer's id,
 * so a producer on an older schema version is still read correctly.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { allTopics, type TopicSpec } from '../topics';
import { DependencyError, InvalidInputError, UnitrailError } from '../errors';
import { isRetriable } from '../retry';
import { wireWriter } from './wire';

export { roundTripOf } from './round-trip';

export const AVRO_DIR = path.join(__dirname, '../../avro').replace(`${path.sep}dist${path.sep}`, path.sep);

/** Reads avro/<name>.avsc (name may include a folder, e.g. sources/mes-unit-event). */
export function loadSchema(name: string): avro.Schema {
  const file = path.join(AVRO_DIR, `${name}.avsc`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as avro.Schema;
}

const typeCache = new Map<string, avro.Type>();
/** The avsc Type of a schema file, for tests and local encoding without a registry. */
export function avroType(name: string): avro.Type {
  let t = typeCache.get(name);
  if (!t) {
    t = avro.Type.forSchema(loadSchema(name));
    typeCache.set(name, t);
  }
  return t;
}

export const subjectOf = (topic: string) => `${topic}-value`;

/** Reads the writer schema id from a Confluent-framed buffer, or null when the framing is wrong. */
export function schemaIdOf(buf: Buffer | null | undefined): number | null {
  if (!buf || buf.length < 5 || buf[0] !== 0) return null;
  return buf.readInt32BE(1);
}

export interface Codec {
  /** Encodes a value for a topic with the schema registered for that topic. */
  encode(topic: string, value: unknown): Promise<Buffer>;
  /** The id of the schema registered for a topic (what `encode` writes). */
  schemaIdFor(topic: string): Promise<number>;
  /** Decodes by writer schema id; throws InvalidInputError(DECODE_*) for bytes that are not ours. */
  decode<T = unknown>(buf: Buffer | null): Promise<{ value: T; schemaId: number }>;
  /** Registers every topic's schema (idempotent) and sets BACKWARD compatibility. Returns subject → id. */
  registerAll(): Promise<Map<string, number>>;
  /** Asks the registry whether each local schema is BACKWARD compatible with the registered latest. */
  checkCompatibility(): Promise<{ subject: string; compatible: boolean }[]>;
}

export function createCodec({ url, topics = allTopics }: { url: string; topics?: TopicSpec[] }): Codec {
  const registry = new SchemaRegistry({ host: url }, { [SchemaType.AVRO]: { wrapUnions: 'auto' } });
  const idByTopic = new Map<string, number>();
  const wire = wireWriter();

  const idFor = async (topic: string): Promise<number> => {
    const cached = idByTopic.get(topic);
    if (cached !== undefined) return cached;
    try {
      const id = await registry.getLatestSchemaId(subjectOf(topic));
      idByTopic.set(topic, id);
      return id;
    } catch (err) {
      throw registryError(
        err,
        `no schema registered for ${subjectOf(topic)} (run 'unitrail schemas register')`,
      );
    }
  };

  return {
    schemaIdFor: idFor,

    async encode(topic, value) {
      const id = await idFor(topic);
      try {
        // The type the registry client encodes with (it caches it by id), written once (wire.ts).
        const type = (await registry.getSchema(id)) as avro.Type;
        try {
          return wire.write(type, id, value);
        } catch {
          // The registry client's own encode names the invalid paths in its error.
          return await registry.encode(id, value);
        }
      } catch (err) {
        throw registryError(err, `cannot encode a ${topic} record`);
      }
    },

    async decode<T>(buf: Buffer | null) {
      const schemaId = schemaIdOf(buf);
      if (!buf || schemaId === null) {
        throw new InvalidInputError([
          {
            code: 'DECODE_FRAMING',
            message: 'value is not in the Confluent Avro wire format (magic byte 0 + schema id)',
          },
        ]);
      }
      try {
        return { value: (await registry.decode(buf)) as T, schemaId };
      } catch (err) {
        const e = registryError(err, `schema id ${schemaId}`);
        if (e.retriable) throw e;
        const unknownId =
          (err as { status?: number }).status === 404 ||
          /not found|no content with id|40403/i.test(String((err as Error).message));
        throw new InvalidInputError([
          unknownId
            ? { code: 'DECODE_UNKNOWN_SCHEMA', message: `schema id ${schemaId} is not in the registry` }
            : {
                code: 'DECODE_AVRO',
                message: `Avro body does not match schema id ${schemaId}: ${(err as Error).message}`,
              },
        ]);
      }
    },

    async registerAll() {
      const ids = new Map<string, number>();
      for (const topic of topics) {
        const subject = subjectOf(topic.name);
        const schema = JSON.stringify(loadSchema(topic.valueSchema));
        try {
          const { id } = await registry.register({ type: SchemaType.AVRO, schema }, { subject });
          await setCompatibility(url, subject, 'BACKWARD');
          ids.set(subject, id);
          idByTopic.set(topic.name, id);
        } catch (err) {
          throw registryError(err, `cannot register ${subject}`);
        }
      }
      return ids;
    },

    async checkCompatibility() {
      const out: { subject: string; compatible: boolean }[] = [];
      for (const topic of topics) {
        const subject = subjectOf(topic.name);
        out.push({ subject, compatible: await isCompatible(url, subject, loadSchema(topic.valueSchema)) });
      }
      return out;
    },
  };
}

/**
 * Asks the registry whether `schema` is compatible, at the subject's level (BACKWARD for ours),
 * with the latest version `subject` holds; a subject with nothing registered accepts anything.
 */
export async function isCompatible(url: string, subject: string, schema: avro.Schema): Promise<boolean> {
  const res = await fetch(`${url}/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: JSON.stringify(schema) }),
  }).catch((err) => {
    throw new DependencyError('registry', `${url} does not answer`, err);
  });
  if (res.status === 404) return true; // nothing registered yet: anything is compatible
  const body = (await res.json()) as { is_compatible?: boolean };
  return body.is_compatible === true;
}

/**
 * Registers `schema` under `subject` at `level` compatibility; the registry refuses (HTTP 409) a
 * schema that breaks it. Returns the schema id, or the refusal's status and message.
 */
export async function registerSchema(
  url: string,
  subject: string,
  schema: avro.Schema,
  level = 'BACKWARD',
): Promise<{ id: number } | { refused: number; message: string }> {
  await setCompatibility(url, subject, level);
  const res = await fetch(`${url}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: JSON.stringify(schema) }),
  }).catch((err) => {
    throw new DependencyError('registry', `${url} does not answer`, err);
  });
  const body = (await res.json().catch(() => ({}))) as { id?: number; message?: string };
  if (res.ok && typeof body.id === 'number') return { id: body.id };
  return { refused: res.status, message: body.message ?? `HTTP ${res.status}` };
}

async function setCompatibility(url: string, subject: string, level: string): Promise<void> {
  const res = await fetch(`${url}/config/${encodeURIComponent(subject)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ compatibility: level }),
  });
  if (!res.ok)
    throw new DependencyError('registry', `setting ${level} on ${subject} gave HTTP ${res.status}`);
}

/**
 * The registry client (mappersmith) reports a connection that failed or was reset as HTTP 400 and
 * drops the errno when it builds its error. A registry never answers 400 to a read (a schema by id,
 * a subject's version), so a 400 on a GET is the client's own failure: an outage, not a bad record.
 */
function isClientSideFailure(err: unknown): boolean {
  const e = err as { status?: unknown; url?: unknown } | null;
  return e?.status === 400 && typeof e.url === 'string' && /^get /i.test(e.url);
}

function registryError(err: unknown, what: string): UnitrailError {
  if (err instanceof UnitrailError) return err;
  const message = String((err as Error)?.message ?? err);
  const cause = (err as { cause?: { code?: string } })?.cause;
  // A connection that failed (its errno, on the error or its cause), never the message text.
  if (isRetriable(err) || cause?.code || isClientSideFailure(err)) {
    return new DependencyError(
      'registry',
      `${what}: the schema registry does not answer (is the stack up? 'unitrail stack up')`,
      err,
    );
  }
  return new UnitrailError('REGISTRY', `${what}: ${message}`);
}
