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
export type { DocumentFormat, ParsedDocument } from './parse';
export { eventHash, preHash } from './hash';
export type { MapOptions } from './map';
export type { EpcisReasonCode } from './errors';
export { validateEvent } from './validate';
export { toSerializationEvent } from './map';
export { canonicalGs1Uri } from './canonical-values';
export {
  type Vocabulary,
  bizStepVocabulary,
  bizTransactionTypeVocabulary,
  cbvNamespace,
  compactVocabulary,
  dispositionVocabulary,
  sourceDestTypeVocabulary,
  standardPrefixes,
  isStandardContextUrl,
  standardContextUrl,
} from './vocabulary';
export { parseXmlDocument, xmlLineOf } from './parse-xml';
