/** `unitrail schemas register|check`: the Avro schemas of avro/ in the registry. */
import type { Command } from '../command';
import { loadConfig } from '../../../libs/config';
import { createCodec } from '../../../libs/avro';
import { registerSchemas } from '../../../libs/stack';

const schemasRegister: Command = {
  name: 'schemas register',
  summary: 'Register every topic schema from avro/ under <topic>-value, BACKWARD compatibility',
  usage: '',
  async run() {
    for (const [subject, id] of await registerSchemas(loadConfig())) console.log(`${subject}: ${id}`);
    return 0;
  },
};

const schemasCheck: Command = {
  name: 'schemas check',
  summary: 'Check that avro/ is BACKWARD compatible with what the registry holds (exit 1 if not)',
  usage: '',
  async run() {
    const results = await createCodec({ url: loadConfig().schemaRegistryUrl }).checkCompatibility();
    for (const r of results)
      console.log(`${r.subject}: ${r.compatible ? 'compatible' : 'NOT BACKWARD COMPATIBLE'}`);
    return results.every((r) => r.compatible) ? 0 : 1;
  },
};

export const schemasCommands: Command[] = [schemasRegister, schemasCheck];
