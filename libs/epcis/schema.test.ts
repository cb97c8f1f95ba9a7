import fs from 'node:fs';
import path from 'node:path';
import { InvalidInputError } from '../errors';
import { checkJsonSchema } from './schema';
import { readJson } from './parse';

const conformance = path.join(__dirname, '../../test/fixtures/conformance');
const jsonDocuments = ['epcis-examples', 'epcis-hash'].flatMap((dir) =>
  fs
    .readdirSync(path.join(conformance, dir))
    .filter((f) => f.endsWith('.jsonld'))
    .map((f) => [`${dir}/${f}`, path.join(conformance, dir, f)]),
);

function violation(doc: unknown): string {
  try {
    checkJsonSchema(doc as never);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).code).toBe('SCHEMA_VIOLATION');
    return (err as InvalidInputError).reasons[0]!.message;
  }
  throw new Error('the schema accepted it');
}

const ctx = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';
const document = (events: unknown[]) => ({
  '@context': ctx,
  type: 'EPCISDocument',
  schemaVersion: '2.0',
  creationDate: '2025-06-01T10:00:00Z',
  epcisBody: { eventList: events },
});
const event = {
  type: 'ObjectEvent',
  eventTime: '2025-06-01T10:00:00Z',
  eventTimeZoneOffset: '+00:00',
  epcList: ['urn:epc:id:sgtin:4012345.011111.1'],
  action: 'OBSERVE',
};

describe("GS1's EPCIS 2.0 JSON Schema", () => {
  it('is the conformance copy, byte for byte (runtime code reads its own copy, never test/)', () => {
    expect(fs.readFileSync(path.join(__dirname, 'json-schema/EPCIS-JSON-Schema.json'))).toEqual(
      fs.readFileSync(path.join(conformance, 'json-schema/EPCIS-JSON-Schema.json')),
    );
    expect(fs.existsSync(path.join(__dirname, 'json-schema/GS1-EPCIS-LICENSE.txt'))).toBe(true);
  });

  it.each(jsonDocuments)('accepts %s (GS1 examples and the reference vectors)', (_name, file) => {
    expect(() => checkJsonSchema(readJson(fs.readFileSync(file, 'utf8')))).not.toThrow();
  });

  it('accepts a minimal document of ours', () => {
    expect(() => checkJsonSchema(document([event]) as never)).not.toThrow();
  });

  it('refuses with the JSON path and the reason', () => {
    expect(violation(document([{ ...event, action: 'LOOK' }]))).toMatch(
      /^\$\.epcisBody\.eventList\[0\]\.action must be equal to one of the allowed values/,
    );
    expect(violation(document([{ ...event, eventTime: '2025-02-31T10:00:00Z' }]))).toBe(
      '$.epcisBody.eventList[0].eventTime must match format "date-time" (GS1 EPCIS 2.0 JSON Schema)',
    );
    expect(violation({ ...document([event]), creationDate: undefined })).toBe(
      "$ must have required property 'creationDate' (GS1 EPCIS 2.0 JSON Schema)",
    );
    expect(violation(document([{ ...event, readPoint: {} }]))).toMatch(
      /readPoint must have required property 'id'/,
    );
  });

  it('checks a bare list of events item by item', () => {
    expect(violation([event, { ...event, epcList: 'x' }])).toMatch(/^\$\[1\]/);
  });
});
