/** Master data: products (GTIN), sites (GLN), devices, operators, partners; keyed `kind:id` on the compacted topic. */
export const masterdataKinds = ['product', 'site', 'device', 'operator', 'partner'] as const;
export type MasterdataKind = (typeof masterdataKinds)[number];

export interface MasterdataRecord {
  kind: MasterdataKind | string;
  id: string;
  name: string;
  attributes: Record<string, string>;
  deleted: boolean;
  updatedAt: number;
}

export const masterdataKey = (kind: string, id: string) => `${kind}:${id}`;

/** Read-only lookup the validator and enricher handlers get. */
export interface MasterdataLookup {
  get(kind: MasterdataKind, id: string): MasterdataRecord | undefined;
}

export function lookupFrom(get: (key: string) => MasterdataRecord | undefined): MasterdataLookup {
  return {
    get: (kind, id) => {
      const r = get(masterdataKey(kind, id));
      return r && !r.deleted ? r : undefined;
    },
  };
}

/** GLN of a location identifier (SGLN Digital Link .../414/<gln>[/254/<ext>]). */
export function glnOf(locationUri: string | null): string | null {
  const m = locationUri ? /\/414\/(\d{13})/.exec(locationUri) : null;
  return m ? m[1]! : null;
}
