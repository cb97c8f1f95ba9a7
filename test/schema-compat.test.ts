/**
 * The MES and WMS source schemas gained REPORT, verifications and exceptionReport (issue 9 §1);
 * this proves, through the real registry, that avro/sources/ is BACKWARD compatible with the
 * previous versions kept in test/fixtures/schemas/previous/, by the same check `unitrail schemas
 * check` runs, on scratch subjects (the real ones already hold the current versions), and that
 * the registry refuses a change that is not.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type avro from 'avsc';
import { createCodec, isCompatible, loadSchema, registerSchema, subjectOf } from '../libs/avro';
import { topics, type TopicSpec } from '../libs/topics';
import { config } from './helpers';

const url = config.schemaRegistryUrl;
const tag = crypto.randomBytes(3).toString('hex');
const previous = (name: string) =>
  JSON.parse(
    fs.readFileSync(path.join(__dirname, 'fixtures/schemas/previous', `${name}.avsc`), 'utf8'),
  ) as avro.Schema;
// The source topics under scratch names: their subjects hold only what this test registers.
const scratch: TopicSpec[] = [topics.rawMes, topics.rawWms].map((t) => ({
  ...t,
  name: `scratch-${tag}.${t.name}`,
}));

afterAll(async () => {
  for (const t of scratch) {
    await fetch(`${url}/subjects/${encodeURIComponent(subjectOf(t.name))}`, { method: 'DELETE' }).catch(
      () => {},
    );
  }
});

describe('source schema evolution through the registry', () => {
  beforeAll(async () => {
    for (const t of scratch) {
      const registered = await registerSchema(url, subjectOf(t.name), previous(t.valueSchema));
      expect(registered).toEqual({ id: expect.any(Number) });
    }
  });

  it('finds the current avro/sources BACKWARD compatible with the previous versions (the `schemas check` path)', async () => {
    const results = await createCodec({ url, topics: scratch }).checkCompatibility();
    expect(results).toEqual(scratch.map((t) => ({ subject: subjectOf(t.name), compatible: true })));
    for (const t of scratch) {
      expect(await registerSchema(url, subjectOf(t.name), loadSchema(t.valueSchema))).toEqual({
        id: expect.any(Number),
      });
    }
  });

  it('refuses a change that is not: a new field without a default, a removed enum symbol', async () => {
    const current = loadSchema(topics.rawMes.valueSchema) as { fields: { name: string; type: unknown }[] };
    const noDefault = { ...current, fields: [...current.fields, { name: 'shiftId', type: 'string' }] };
    const subject = subjectOf(scratch[0]!.name);
    expect(await isCompatible(url, subject, noDefault as avro.Schema)).toBe(false);
    expect(await registerSchema(url, subject, noDefault as avro.Schema)).toMatchObject({ refused: 409 });

    const wms = loadSchema(topics.rawWms.valueSchema) as { fields: { name: string; type: unknown }[] };
    const fewerKinds = {
      ...wms,
      fields: wms.fields.map((f) =>
        f.name === 'movementType'
          ? {
              ...f,
              type: { type: 'enum', name: 'WmsMovementType', symbols: ['PALLETIZE', 'SHIP', 'REPORT'] },
            }
          : f,
      ),
    };
    expect(await isCompatible(url, subjectOf(scratch[1]!.name), fewerKinds as avro.Schema)).toBe(false);
  });
});
