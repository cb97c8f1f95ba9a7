/**
 * Master data rules: the products, sites and devices our own systems report must be known.
 * Partners' EPCIS documents carry other companies' keys, so these rules apply per source
 * (OWN_SOURCES); unknown keys from partners reach the journey and the enricher leaves
 * their names empty.
 */
import type { Reason } from '../errors';
import type { SerializationEvent } from '../events';
import { glnOf, type MasterdataLookup } from '../masterdata';

export function masterdataReasons(
  e: SerializationEvent,
  md: MasterdataLookup,
  strictSources: readonly string[],
): Reason[] {
  if (!strictSources.includes(String(e.sourceSystem).toUpperCase())) return [];
  const out: Reason[] = [];
  const gtins = new Set(
    [...e.epcList, ...e.childEpcs, ...e.inputEpcList, ...e.outputEpcList]
      .map((i) => i.gtin)
      .filter((g): g is string => !!g),
  );
  for (const gtin of gtins) {
    if (!md.get('product', gtin))
      out.push({
        code: 'UNKNOWN_GTIN',
        message: `GTIN ${gtin} is not in master data (load it with 'unitrail masterdata load')`,
      });
  }
  for (const [field, uri] of [
    ['bizLocation', e.bizLocation],
    ['readPoint', e.readPoint],
  ] as const) {
    const gln = glnOf(uri);
    if (gln && !md.get('site', gln)) {
      out.push({ code: 'UNKNOWN_SITE', message: `${field} site GLN ${gln} is not in master data` });
      break;
    }
  }
  if (e.machineId && !md.get('device', e.machineId)) {
    out.push({ code: 'UNKNOWN_DEVICE', message: `device '${e.machineId}' is not in master data` });
  }
  return out;
}
