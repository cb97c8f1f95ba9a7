/**
 * The facts of the standard EPCIS 2.0 JSON-LD context that this library needs, so that no document
 * ever makes us fetch https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld.
 * Derived from that context (GS1, EPCIS 2.0.0): its prefixes and the bare words each
 * `"@type": "@vocab"` field accepts. Keep in step with the context when GS1 publishes a new one.
 */

/** How documents name the standard context (the published URL and its variants). */
export const standardContextUrls: readonly string[] = [
  'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
  'https://ref.gs1.org/standards/epcis/epcis-context.jsonld',
  'https://ref.gs1.org/standards/epcis/2.0.1/epcis-context.jsonld',
  'https://gs1.github.io/EPCIS/epcis-context.jsonld',
];

export const standardContextUrl = standardContextUrls[0];

export function isStandardContextUrl(url: string): boolean {
  return standardContextUrls.includes(url) || /\/epcis-context\.jsonld$/.test(url);
}

export const cbvNamespace = 'https://ref.gs1.org/cbv/';
export const gs1VocNamespace = 'https://gs1.org/voc/';

/** Prefixes the standard context declares; a document's own `@context` may add more. */
export const standardPrefixes: Readonly<Record<string, string>> = {
  epcis: 'https://ref.gs1.org/epcis/',
  cbv: cbvNamespace,
  cbvmda: 'urn:epcglobal:cbv:mda:',
  gs1: gs1VocNamespace,
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  owl: 'http://www.w3.org/2002/07/owl#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  dcterms: 'http://purl.org/dc/terms/',
};

/** A controlled vocabulary: its bare words expand to `${prefix}${word}`; EPCIS 1.x wrote `${urn}${word}`. */
export interface Vocabulary {
  prefix: string;
  urn: string | null;
  words: ReadonlySet<string>;
}

const words = (list: string): ReadonlySet<string> => new Set(list.trim().split(/\s+/));

export const bizStepVocabulary: Vocabulary = {
  prefix: `${cbvNamespace}BizStep-`,
  urn: 'urn:epcglobal:cbv:bizstep:',
  words: words(`accepting arriving assembling collecting commissioning consigning creating_class_instance
    cycle_counting decommissioning departing destroying disassembling dispensing encoding entering_exiting
    holding inspecting installing killing loading other packing picking receiving removing repackaging
    repairing replacing reserving retail_selling sampling sensor_reporting shipping staging_outbound
    stock_taking stocking storing transporting unloading unpacking void_shipping`),
};

export const dispositionVocabulary: Vocabulary = {
  prefix: `${cbvNamespace}Disp-`,
  urn: 'urn:epcglobal:cbv:disp:',
  words: words(`active available completeness_verified completeness_inferred conformant container_closed
    container_open damaged destroyed dispensed disposed encoded expired in_progress in_transit inactive
    mismatch_instance mismatch_class mismatch_quantity needs_replacement no_pedigree_match non_conformant
    non_sellable_other partially_dispensed recalled reserved retail_sold returned sellable_accessible
    sellable_not_accessible stolen unavailable unknown`),
};

export const bizTransactionTypeVocabulary: Vocabulary = {
  prefix: `${cbvNamespace}BTT-`,
  urn: 'urn:epcglobal:cbv:btt:',
  words: words('bol cert desadv inv pedigree po poc prodorder recadv rma testprd testres upevt'),
};

export const sourceDestTypeVocabulary: Vocabulary = {
  prefix: `${cbvNamespace}SDT-`,
  urn: 'urn:epcglobal:cbv:sdt:',
  words: words('owning_party possessing_party location'),
};

export const measurementTypeVocabulary: Vocabulary = {
  prefix: gs1VocNamespace,
  urn: null,
  words: words(`AbsoluteHumidity AbsorbedDose AbsorbedDoseRate Acceleration Radioactivity Altitude
    AmountOfSubstance AmountOfSubstancePerUnitVolume Angle AngularAcceleration AngularMomentum AngularVelocity
    Area Capacitance Conductance Conductivity Count Density Dimensionless DoseEquivalent DoseEquivalentRate
    DynamicViscosity ElectricCharge ElectricCurrent ElectricCurrentDensity ElectricFieldStrength Energy
    Exposure Force Frequency Illuminance Inductance Irradiance KinematicViscosity Length LinearMomentum
    Luminance LuminousFlux LuminousIntensity MagneticFlux MagneticFluxDensity MagneticVectorPotential Mass
    MassConcentration MassFlowRate MassPerAreaTime MemoryCapacity MolalityOfSolute MolarEnergy MolarMass
    MolarVolume Power Pressure RadiantFlux RadiantIntensity RelativeHumidity Resistance Resistivity SolidAngle
    SpecificVolume Speed SurfaceDensity SurfaceTension Temperature Time Torque Voltage Volume VolumeFlowRate
    VolumeFraction VolumetricFlux Wavenumber`),
};

export const sensorExceptionVocabulary: Vocabulary = {
  prefix: gs1VocNamespace,
  urn: null,
  words: words('ALARM_CONDITION ERROR_CONDITION'),
};

export const componentVocabulary: Vocabulary = {
  prefix: `${cbvNamespace}Comp-`,
  urn: null,
  words: words(`x y z axial_distance azimuth height spherical_radius polar_angle elevation_angle easting
    northing latitude longitude altitude`),
};

/** The full URI of a vocabulary value written as a bare word, a CBV 1.x URN, or already as a URI. */
export function expandVocabulary(value: string, vocabulary: Vocabulary): string {
  if (vocabulary.words.has(value)) return vocabulary.prefix + value;
  if (vocabulary.urn !== null && value.startsWith(vocabulary.urn)) {
    return vocabulary.prefix + value.slice(vocabulary.urn.length);
  }
  return value;
}

/** The bare word of a standard vocabulary value (any notation), or the value unchanged when it is not one. */
export function compactVocabulary(value: string, vocabulary: Vocabulary): string {
  const expanded = expandVocabulary(value, vocabulary);
  if (expanded.startsWith(vocabulary.prefix)) {
    const word = expanded.slice(vocabulary.prefix.length);
    if (vocabulary.words.has(word)) return word;
  }
  return expanded;
}

/**
 * CBV 1.x URNs to CBV 2.0 web URIs, as the Event Hash ID requires wherever such a value appears
 * (including values of user extensions).
 */
export const cbvUrnRewrites: readonly (readonly [string, string])[] = [
  ['urn:epcglobal:cbv:bizstep:', `${cbvNamespace}BizStep-`],
  ['urn:epcglobal:cbv:disp:', `${cbvNamespace}Disp-`],
  ['urn:epcglobal:cbv:btt:', `${cbvNamespace}BTT-`],
  ['urn:epcglobal:cbv:sdt:', `${cbvNamespace}SDT-`],
  ['urn:epcglobal:cbv:er:', `${cbvNamespace}ER-`],
];
