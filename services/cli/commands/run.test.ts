/** `run` and `scale` find what to start by its name: a stage, the fused pipeline or an HTTP service. */
import type { Command } from '../command';
import { allCommands } from '.';

describe('run and scale resolve a consumer by name', () => {
  let commands: Command[] = [];
  beforeAll(async () => {
    commands = await allCommands();
  });
  const command = (name: string) => commands.find((c) => c.name === name)!;

  it('refuses an unknown name with the names it knows', async () => {
    await expect(command('run').run({ positionals: ['nosuch'], values: {} })).rejects.toThrow(
      /^unknown stage 'nosuch'; one of: .*\bpipeline\b.*\bconsole\b/,
    );
    await expect(
      command('scale').run({ positionals: ['nosuch'], values: { consumers: '2' } }),
    ).rejects.toThrow(/^unknown stage 'nosuch'; stages: .*\bpipeline$/);
  });

  it('refuses to scale an HTTP service, naming the stages it can scale', async () => {
    await expect(
      command('scale').run({ positionals: ['console'], values: { consumers: '2' } }),
    ).rejects.toThrow(/^unknown stage 'console'; stages: validator, .*\bpipeline$/);
  });
});
