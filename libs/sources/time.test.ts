import { formatOffset, isoWithOffset, parseIsoWithOffset, wallClockToUtc, zoneOffsetMinutes } from './time';
import { InvalidInputError } from '../errors';

describe('source time conversions', () => {
  it('turns a Berlin wall-clock time in winter into UTC at +01:00', () => {
    const wall = Date.UTC(2026, 0, 5, 7, 0, 0); // 07:00 on the plant clock
    expect(wallClockToUtc(wall, 'Europe/Berlin')).toEqual({
      utcMs: Date.UTC(2026, 0, 5, 6, 0, 0),
      offsetMinutes: 60,
    });
  });

  it('follows daylight saving time: Berlin in July is +02:00', () => {
    const wall = Date.UTC(2026, 6, 1, 12, 0, 0);
    expect(wallClockToUtc(wall, 'Europe/Berlin')).toEqual({
      utcMs: Date.UTC(2026, 6, 1, 10, 0, 0),
      offsetMinutes: 120,
    });
  });

  it('handles zones west of UTC and half-hour offsets', () => {
    expect(zoneOffsetMinutes('America/Chicago', Date.UTC(2026, 0, 5))).toBe(-360);
    expect(zoneOffsetMinutes('Asia/Kolkata', Date.UTC(2026, 0, 5))).toBe(330);
    expect(formatOffset(330)).toBe('+05:30');
    expect(formatOffset(-360)).toBe('-06:00');
  });

  it('gives the offset of the second asked, on either side of a change, whatever was asked before', () => {
    const berlin = Date.UTC(2026, 2, 29, 1); // 01:00Z: +01:00 → +02:00
    const lordHowe = Date.UTC(2026, 3, 4, 15); // 15:00Z: +11:00 → +10:30 (a half-hour change)
    const asked: [string, number, number][] = [
      ['Europe/Berlin', berlin - 1000, 60],
      ['Europe/Berlin', berlin, 120],
      ['Europe/Berlin', berlin - 14 * 60_000, 60],
      ['Europe/Berlin', berlin + 14 * 60_000, 120],
      ['Australia/Lord_Howe', lordHowe - 1000, 660],
      ['Australia/Lord_Howe', lordHowe, 630],
    ];
    // Twice, forwards then backwards: the second pass answers from what the first kept.
    for (const [zone, t, minutes] of [...asked, ...asked.reverse()])
      expect([zone, t, zoneOffsetMinutes(zone, t)]).toEqual([zone, t, minutes]);
  });

  it('refuses a zone that does not exist', () => {
    expect(() => wallClockToUtc(0, 'Mars/Olympus')).toThrow(InvalidInputError);
  });

  it('writes ISO text in local time with its offset', () => {
    expect(isoWithOffset(Date.UTC(2026, 0, 5, 6, 0, 0, 120), 60)).toBe('2026-01-05T07:00:00.120+01:00');
  });

  it('parses ISO-8601 with offsets and refuses one without', () => {
    expect(parseIsoWithOffset('2026-03-01T14:05:09.120+01:00')).toEqual({
      utcMs: Date.UTC(2026, 2, 1, 13, 5, 9, 120),
      offset: '+01:00',
    });
    expect(parseIsoWithOffset('2026-03-01T14:05:09Z').offset).toBe('+00:00');
    expect(() => parseIsoWithOffset('2026-03-01T14:05:09')).toThrow(/offset/);
  });
});
