import { loadConfig } from '../../libs/config';
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
});
