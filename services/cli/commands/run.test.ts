/** `run` and `scale` find a consumer process by its name: a stage or the fused pipeline. */
import type { Command } from '../command';
import { allCommands } from '.';
import { consumerFactory, fusedPipeline, stageNames } from '../../stages';

describe('run and scale resolve a consumer by name', () => {
  let commands: Command[] = [];
  beforeAll(async () => {
    commands = await allCommands();
  });
  const command = (name: string) => commands.find((c) => c.name === name)!;

  it('knows every stage and the fused pipeline', () => {
    for (const name of [...stageNames, fusedPipeline.name]) expect(consumerFactory(name)).toBeDefined();
    expect(consumerFactory('nosuch')).toBeUndefined();
  });

  it('refuses an unknown name with the names it knows', async () => {
    await expect(command('run').run({ positionals: ['nosuch'], values: {} })).rejects.toThrow(
      /^unknown stage 'nosuch'; one of: .*\bpipeline\b/,
    );
    await expect(
      command('scale').run({ positionals: ['nosuch'], values: { consumers: '2' } }),
    ).rejects.toThrow(/^unknown stage 'nosuch'; stages: .*\bpipeline$/);
  });
});
