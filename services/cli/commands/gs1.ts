/** `unitrail gs1 KEY...`: shows a GS1 key in every notation, or says in one line what is wrong with it. */
import type { Command } from '../command';
import { optNumber } from '../command';
import { aiOrder, Gs1Error, parseGs1, toDigitalLink, toElementString, toEpcUrn } from '../../../libs/gs1';

const show: Command = {
  name: 'gs1',
  summary:
    'Parse GS1 keys (EPC URI, Digital Link, element string): canonical Digital Link, EPC URI, element string',
  usage: 'KEY... [--gcp-length N]',
  async run(input) {
    const companyPrefixLength =
      input.values['gcp-length'] === undefined
        ? undefined
        : optNumber(input, 'gcp-length', null, { min: 6, max: 12 });
    for (const text of input.positionals) {
      const key = parseGs1(text);
      let epc: string;
      try {
        epc = toEpcUrn(key, { companyPrefixLength });
      } catch (err) {
        if (!(err instanceof Gs1Error)) throw err;
        epc = `(${err.code === 'GS1_PREFIX_LENGTH_UNKNOWN' ? 'pass --gcp-length' : err.code})`;
      }
      console.log(
        [
          `${text}`,
          `  scheme          ${key.patternOf ? `idpat of ${key.patternOf}` : key.scheme}`,
          `  digital link    ${toDigitalLink(key)}`,
          `  epc uri         ${epc}`,
          `  element string  ${toElementString(key)}`,
          ...aiOrder(key).map((ai) => `  (${ai})${' '.repeat(Math.max(1, 14 - ai.length))}${key.ai[ai]}`),
        ].join('\n'),
      );
    }
    return 0;
  },
};

export const gs1Commands: Command[] = [show];
