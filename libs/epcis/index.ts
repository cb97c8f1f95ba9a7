/**
 * EPCIS documents: parsing (JSON-LD and XML, EPCIS 1.2 and 2.0), the EPCIS Event Hash ID, and the
 * mapping of an EPCIS event onto the canonical SerializationEvent.
 */
export type { EpcisEvent, EpcisContext, JsonObject, JsonValue } from './event';
export { isJsonObject, contextFor } from './event';
export { parseDocument, readJson, eventsOfJson } from './parse';
export { checkJsonSchema, warmSchema } from './schema';
export { doorCodes, inputLimits, textProblem } from './guard';
export { readTimestamp, earliestYear, latestYear, isoUtc } from './canonical-values';
export { validateEvent } from './validate';
export type { DocumentFormat, ParsedDocument } from './parse';
export { eventHash, preHash } from './hash';
export { toSerializationEvent } from './map';
export type { MapOptions } from './map';
export type { EpcisReasonCode } from './errors';
