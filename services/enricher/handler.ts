/** enricher: add master data (product, site, device, operator names) to each event. */
import type { SerializationEvent } from '../../libs/events';
import { glnOf, type MasterdataLookup } from '../../libs/masterdata';
import type { InputRecord, Output } from '../../libs/runtime';
import { topics } from '../../libs/topics';

export function enrich(e: SerializationEvent, md: MasterdataLookup): SerializationEvent {
  const gtin = [...e.epcList, ...e.childEpcs, ...e.outputEpcList].find((i) => i.gtin)?.gtin ?? null;
  const site = md.get('site', glnOf(e.bizLocation) ?? glnOf(e.readPoint) ?? '');
  return {
    ...e,
    enrichment: {
      productName: gtin ? (md.get('product', gtin)?.name ?? null) : null,
      siteName: site?.name ?? null,
      siteCountry: site?.attributes.country ?? null,
      deviceName: e.machineId ? (md.get('device', e.machineId)?.name ?? null) : null,
      operatorName: e.operatorId ? (md.get('operator', e.operatorId)?.name ?? null) : null,
    },
  };
}

export function handleEnrich(
  record: InputRecord<SerializationEvent>,
  md: MasterdataLookup,
): Output<typeof topics.enriched.name>[] {
  return [
    {
      kind: 'produce',
      topic: topics.enriched.name,
      key: record.key?.toString('utf8') ?? null,
      value: enrich(record.value, md),
    },
  ];
}
