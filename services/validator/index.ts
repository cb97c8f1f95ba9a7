import type { Config } from '../../libs/config';
import type { Stage } from '../../libs/runtime';
import { rawTopics } from '../../libs/topics';
import { handleRaw } from './handler';
import type { RuleContext } from './rules';

export function validatorStage(config: Config): Stage<unknown, RuleContext> {
  return {
    name: 'validator',
    topics: rawTopics,
    prepare: async () => ({
      now: Date.now(),
      clockSkewMs: config.clockSkewSeconds * 1000,
      horizonMs: config.horizonDays * 86400000,
    }),
    handle: handleRaw,
  };
}
