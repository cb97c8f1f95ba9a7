import { loadConfig } from '../../libs/config';
import { consumerSettings, openStage } from '../../libs/runtime';
import { journeySink, journeySinkSurge, journeySinkStage } from '.';

describe('the surge sink runs in the background', () => {
  it('declares the surge sink a background stage, and the normal sink not', () => {
    expect(journeySinkSurge.background).toBe(true);
    expect(journeySink.background).toBe(false);
  });

  it('carries the mark to the opened stage, which `unitrail run` reads to lower its priority', () => {
    const config = loadConfig({});
    const surge = journeySinkStage(config, { surge: true });
    const normal = journeySinkStage(config);
    expect([surge.background, normal.background]).toEqual([true, false]);
    expect(config.backgroundNice).toBe(10);
    void surge.stop?.();
    void normal.stop?.();
  });

  it('refuses a niceness outside 0-19', () => {
    expect(() => loadConfig({ BACKGROUND_NICE: '20' })).toThrow(/BACKGROUND_NICE/);
    expect(loadConfig({ BACKGROUND_NICE: '0' }).backgroundNice).toBe(0);
  });

  it('writes BACKGROUND_CONCURRENCY surge partitions at once per process, the normal sink 3', () => {
    const stages = [journeySinkSurge, journeySink].map((d) => ({ ...d, open: undefined }));
    const [surge, normal] = stages.map((d) => openStage(d, loadConfig({})));
    const settings = (env: Record<string, string>) =>
      [surge!, normal!].map((s) => consumerSettings(s, loadConfig(env)).concurrency);
    expect(settings({})).toEqual([1, 3]);
    expect(settings({ BACKGROUND_CONCURRENCY: '3' })).toEqual([3, 3]);
    expect(() => loadConfig({ BACKGROUND_CONCURRENCY: '0' })).toThrow(
      'BACKGROUND_CONCURRENCY=0 is not a whole number from 1 to 64',
    );
  });

  it('keeps a niced surge consumer in its group through BACKGROUND_SESSION_TIMEOUT_MS', () => {
    const [surge, normal] = [journeySinkSurge, journeySink].map((d) =>
      openStage({ ...d, open: undefined }, loadConfig({})),
    );
    const config = loadConfig({ KAFKA_SESSION_TIMEOUT_MS: '8000' });
    expect(consumerSettings(surge!, config).sessionTimeoutMs).toBe(30000);
    expect(consumerSettings(normal!, config).sessionTimeoutMs).toBe(8000);
    // a quiet topic's fetch still waits a third of the normal session at most
    expect(consumerSettings(surge!, config).fetchMaxWaitMs).toBe(2666);
    expect(() => loadConfig({ BACKGROUND_SESSION_TIMEOUT_MS: '500' })).toThrow(
      /BACKGROUND_SESSION_TIMEOUT_MS/,
    );
  });
});
