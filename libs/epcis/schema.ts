/**
 * GS1's official EPCIS 2.0 JSON Schema (json-schema/, GS1's notice beside it), checked with ajv
 * (draft-07, formats from ajv-formats) before the project's own rules: a JSON document that GS1's
 * schema refuses is refused whole, with the JSON path and the schema's reason.
 *
 * Compiling the schema takes seconds, so it is done once per process (warmSchema at start-up, or
 * on the first document).
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { type JsonValue, isJsonObject } from './event';
import { standardContextUrl } from './vocabulary';
import { epcisError } from './errors';
import gs1Schema from './json-schema/EPCIS-JSON-Schema.json';

let compiled: ValidateFunction | undefined;

/** Compiles the schema now (the capture API does this before it listens). */
export function warmSchema(): void {
  if (compiled !== undefined) return;
  // strict: false - GS1's schema uses draft-07 idioms (if/then without else, unknown annotations)
  // that ajv's strict mode flags as style, not as errors.
  const ajv = new Ajv({ strict: false, allErrors: false });
  addFormats(ajv);
  compiled = ajv.compile(gs1Schema);
}

/**
 * Checks a parsed JSON document against GS1's schema; throws InvalidInputError (SCHEMA_VIOLATION)
 * naming the first violation's JSON path. A bare list of events (which we accept beyond the
 * standard) is checked event by event.
 */
export function checkJsonSchema(root: JsonValue): void {
  warmSchema();
  if (!Array.isArray(root)) return checkOne(root, '$');
  // A bare list of events is ours, not GS1's: each is checked as the one event of a document.
  root.forEach((item, i) => {
    const context =
      isJsonObject(item) && item['@context'] !== undefined ? item['@context'] : standardContextUrl;
    const alone = {
      '@context': context,
      type: 'EPCISDocument',
      schemaVersion: '2.0',
      creationDate: '2000-01-01T00:00:00Z',
      epcisBody: { eventList: [item] },
    };
    checkOne(alone, '$', (path) => path.replace(/^\$\.epcisBody\.eventList\[0\]/, `$[${i}]`));
  });
}

function checkOne(value: JsonValue, base: string, rewrite: (path: string) => string = (p) => p): void {
  if (compiled!(value)) return;
  const errors = compiled!.errors ?? [];
  // if/then and allOf wrap the real error: report the innermost one.
  const first = errors.find((e) => e.keyword !== 'if' && e.keyword !== 'allOf') ?? errors[0];
  throw epcisError(
    'SCHEMA_VIOLATION',
    first === undefined
      ? `${base} does not match GS1's EPCIS 2.0 JSON Schema`
      : `${rewrite(jsonPath(base, first.instancePath))} ${describe(first)} (GS1 EPCIS 2.0 JSON Schema)`,
  );
}

/** `/epcisBody/eventList/0/eventTime` → `$.epcisBody.eventList[0].eventTime`. */
function jsonPath(base: string, pointer: string): string {
  if (pointer === '') return base;
  return (
    base +
    pointer
      .slice(1)
      .split('/')
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((p) =>
        /^\d+$/.test(p) ? `[${p}]` : /^[A-Za-z_$][\w$]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`,
      )
      .join('')
  );
}

function describe(e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties')
    return `has a property it may not have: ${String(params.additionalProperty)}`;
  if (e.keyword === 'enum')
    return `${e.message ?? 'is not allowed'}: ${JSON.stringify(params.allowedValues)}`;
  return e.message ?? `fails ${e.keyword}`;
}
