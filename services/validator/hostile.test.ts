/**
 * The validator's prepare and handler on records that used to crash the stage (issue 13 §1):
 * normalizeRecord returns the refusal instead of throwing, and the handler sends the record to
 * the DLQ with the reason code.
 */
import { generateDemo } from '../../libs/demo';
import { InvalidInputError } from '../../libs/errors';
import { lookupFrom } from '../../libs/masterdata';
import type { InputRecord } from '../../libs/runtime';
import type { MesUnitEvent } from '../../libs/sources';
import { topics } from '../../libs/topics';
import { handleRaw, normalizeRecord, type ValidatorContext } from './handler';

const mes = generateDemo({ events: 13, seed: 5 }).find((r) => r.topic === topics.rawMes.name)!
  .value as MesUnitEvent;
const record = (value: unknown): InputRecord<unknown> => ({
  topic: topics.rawMes.name,
  partition: 0,
  offset: '7',
  key: null,
  headers: {},
  value,
  schemaId: 1,
  raw: Buffer.from('original'),
});
const ctx: ValidatorContext = {
  now: Date.UTC(2026, 0, 1),
  clockSkewMs: 300_000,
  horizonMs: 3650 * 86_400_000,
  ownSources: ['MES', 'WMS', 'TMS'],
  masterdata: lookupFrom(() => undefined),
};

describe.each([
  ['plantTimeMs 9e15', { plantTimeMs: 9e15 }, 'TIME_INVALID'],
  ['NUL in machineId', { machineId: 'm\u00001' }, 'INPUT_TEXT_INVALID'],
  ['expiry zz', { operation: 'COMMISSION', expiry: 'zz' }, 'EXPIRY_INVALID'],
  ['a 20,000-character serial', { serials: ['9'.repeat(20_000)] }, 'IDENTIFIER_TOO_LONG'],
])('an MES record with %s', (_what, change, code) => {
  const r = record({ ...mes, ...change });

  it('is refused by normalizeRecord without throwing (prepare keeps running)', () => {
    const outcome = normalizeRecord(r);
    expect(outcome).toBeInstanceOf(InvalidInputError);
    expect((outcome as InvalidInputError).code).toBe(code);
  });

  it(`goes to the DLQ with ${code}`, () => {
    const [out] = handleRaw(r, ctx);
    expect(out).toMatchObject({ kind: 'dlq', reasons: [expect.objectContaining({ code })] });
  });
});
