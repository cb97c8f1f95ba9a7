/** `unitrail masterdata load|list`: products, sites, devices, operators, partners (libs/masterdata). */
import type { Command } from '../command';
import { optString, readInput, withPool } from '../command';
import { loadConfig } from '../../../libs/config';
import { createKafka, kafkaConnection } from '../../../libs/kafka';
import { createCodec } from '../../../libs/avro';
import {
  formatLoaded,
  formatMasterdata,
  listMasterdata,
  loadMasterdata,
  parseMasterdataFile,
} from '../../../libs/masterdata';

const masterdataLoad: Command = {
  name: 'masterdata load',
  summary: 'Load products, sites, devices, operators, partners from CSV (kind,id,name,...) or JSON',
  usage: 'FILE',
  async run({ positionals: [file] }) {
    const records = parseMasterdataFile(readInput(file!).toString('utf8'), file!);
    const config = loadConfig();
    const kafka = createKafka(kafkaConnection(config));
    const codec = createCodec({ url: config.schemaRegistryUrl });
    await withPool((pool) => loadMasterdata(pool, kafka, codec, records));
    console.log(formatLoaded(records));
    return 0;
  },
};

const masterdataList: Command = {
  name: 'masterdata list',
  summary: 'List master data, optionally of one kind',
  usage: '[--kind KIND]',
  async run(input) {
    const rows = await withPool((pool) => listMasterdata(pool, optString(input, 'kind')));
    if (rows.length) console.log(formatMasterdata(rows));
    return 0;
  },
};

export const masterdataCommands: Command[] = [masterdataLoad, masterdataList];
