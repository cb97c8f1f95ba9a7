import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { cliEntry } from '../libs/supervisor';
import { consumerNames, loadRunnable, runnableNames, serviceNames } from './runnable';
import { fusedPipeline, stageNames, stages } from './stages';

describe('what run and scale can start', () => {
  it('is every stage (the same declaration), the fused pipeline and the HTTP services', async () => {
    expect(consumerNames).toEqual([...stageNames, fusedPipeline.name]);
    expect(runnableNames).toEqual([...consumerNames, ...serviceNames]);
    expect(serviceNames).toEqual(['capture-api', 'ops-api', 'console']);
    for (const s of stages) {
      const r = await loadRunnable(s.name);
      expect(r?.kind === 'consumer' && r.definition).toBe(s);
    }
    const pipeline = await loadRunnable(fusedPipeline.name);
    expect(pipeline?.kind === 'consumer' && pipeline.definition).toBe(fusedPipeline.stages[0]);
    for (const name of serviceNames) expect((await loadRunnable(name))?.kind).toBe('service');
    expect(await loadRunnable('nosuch')).toBeUndefined();
  });

  // The compiled modules in a fresh Node process: which services/ directories loading one runnable
  // brings in (a recall's new surge sinks start without the other stages', the console's or the APIs' code).
  const servicesLoadedBy = (name: string): string[] => {
    const dir = path.resolve(path.dirname(cliEntry()), '..') + path.sep;
    const script = `
      require(${JSON.stringify(path.join(dir, 'runnable.js'))}).loadRunnable(${JSON.stringify(name)}).then(() => {
        const dirs = new Set(Object.keys(require.cache)
          .filter((f) => f.startsWith(${JSON.stringify(dir)}))
          .map((f) => f.slice(${dir.length}).split(${JSON.stringify(path.sep)})[0]));
        console.log(JSON.stringify([...dirs].sort()));
      });`;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
    return JSON.parse(child.stdout.trim().split('\n').pop() ?? '[]') as string[];
  };

  it("loads only a stage's own code for that stage", () => {
    expect(servicesLoadedBy('journey-sink-surge')).toEqual(['journey-sink', 'runnable.js']);
    expect(servicesLoadedBy('cases')).toEqual(['cases', 'runnable.js']);
  });

  it('loads the five stages of the fused pipeline for it, and not the console or the APIs', () => {
    const loaded = servicesLoadedBy('pipeline');
    for (const s of fusedPipeline.stages) expect(loaded).toContain(s.name);
    for (const other of ['console', 'capture-api', 'ops-api']) expect(loaded).not.toContain(other);
  });
});
