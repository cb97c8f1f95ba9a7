import { UsageError } from '../errors';
import { parseSince } from '.';

describe('parseSince', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  it('reads an age in s, m, h or d', () => {
    expect(parseSince('30m', now).toISOString()).toBe('2026-03-01T11:30:00.000Z');
    expect(parseSince('2d', now).toISOString()).toBe('2026-02-27T12:00:00.000Z');
  });
  it('reads an ISO time', () => {
    expect(parseSince('2026-02-01T00:00:00Z', now).toISOString()).toBe('2026-02-01T00:00:00.000Z');
  });
  it('refuses anything else with what to give', () => {
    expect(() => parseSince('yesterday', now)).toThrow(UsageError);
    expect(() => parseSince('yesterday', now)).toThrow(/give an ISO time .* or an age/);
  });
});
