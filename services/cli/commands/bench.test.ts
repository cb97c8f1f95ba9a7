/** `bench queries --beside`: which flags go together (no stack, no timings). */
import { besideOf } from './bench';
import { drainingThroughout } from '../../../libs/bench';

const input = (values: Record<string, string | boolean>) => ({ positionals: [], values });

describe('bench queries --beside', () => {
  it('takes split or fused on a kept store', () => {
    expect(besideOf(input({ beside: 'split', reuse: true }))).toBe('split');
    expect(besideOf(input({ beside: 'fused', reuse: true, backlog: '50000' }))).toBe('fused');
    expect(besideOf(input({ reuse: true }))).toBeUndefined();
  });

  it('refuses another deployment, a store to build, and --backlog without --beside', () => {
    expect(() => besideOf(input({ beside: 'fused2', reuse: true }))).toThrow(
      '--beside fused2 must be split or fused',
    );
    expect(() => besideOf(input({ beside: 'split' }))).toThrow(/add --reuse/);
    expect(() => besideOf(input({ beside: 'split', reuse: true, events: '1000000' }))).toThrow(
      /--events builds a store/,
    );
    expect(() => besideOf(input({ backlog: '1000' }))).toThrow('--backlog goes with --beside split|fused');
  });

  it('says the pipeline drained throughout only when the backlog was not done when the queries ended', () => {
    expect(drainingThroughout({ accountedAtEnd: 99_999, produced: 100_000 })).toBe(true);
    expect(drainingThroughout({ accountedAtEnd: 100_000, produced: 100_000 })).toBe(false);
  });
});
