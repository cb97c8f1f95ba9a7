/**
 * Journeys against a real PostgreSQL: a unit packed into a case, the case onto a pallet, the pallet
 * shipped and received, then unpacked at the DC and the unit shipped to a store. Its journey holds
 * every move at its time, including those recorded only for the pallet, and nothing the pallet or
 * the case did before packing or after unpacking.
 */
import { freshDatabase } from './helpers';
import { writeBatch } from '../libs/store';
import { formatJourney, journeyOf, referenceStory, resolveUnitId, unitJourney } from '../libs/journey';
import { toEpcUrn } from '../libs/gs1';
import { UsageError } from '../libs/errors';

const { at, caseA, caseB, DC, GTIN, LOT, other, pallet, STORE, story, unit } = referenceStory;

let db: Awaited<ReturnType<typeof freshDatabase>>;
beforeAll(async () => {
  db = await freshDatabase('journey');
  const { arrive, ...onTime } = story;
  // Arrival order is not event-time order: in three batches, newest first, the arrival last of all.
  const events = Object.values(onTime).reverse();
  for (const batch of [events.slice(0, 6), events.slice(6)]) {
    await writeBatch(
      db.pool,
      batch.map((event) => ({ event, recallId: null })),
      'test',
    );
  }
  await writeBatch(db.pool, [{ event: arrive, recallId: null }], 'test');
}, 60_000); // a fresh migrated database takes longer than jest's 5 s on a busy box
afterAll(async () => db.drop(), 60_000);

describe('journeyOf', () => {
  it('shows the unit its own moves and its containers’ moves while it was inside, in time order', async () => {
    const steps = await journeyOf(db.pool, unit.uri);
    expect(steps.map((s) => [s.eventId, s.via])).toEqual([
      [story.commission.eventId, null],
      [story.pack.eventId, null],
      [story.palletize.eventId, caseA.uri],
      [story.ship.eventId, pallet.uri],
      [story.depart.eventId, pallet.uri],
      [story.arrive.eventId, pallet.uri],
      [story.receive.eventId, pallet.uri],
      [story.unpalletize.eventId, caseA.uri],
      [story.unpack.eventId, caseA.uri],
      [story.shipToStore.eventId, null],
      [story.receiveAtStore.eventId, null],
    ]);
  });

  it('gives each step its time, zone, step, disposition and location', async () => {
    const steps = await journeyOf(db.pool, unit.uri);
    const arrival = steps.find((s) => s.eventId === story.arrive.eventId)!;
    expect(arrival).toMatchObject({
      eventTime: at(3, 13),
      eventTimeUtc: '2026-03-03T13:00:00.000Z',
      eventTimeZoneOffset: '-06:00',
      eventTimeLocal: '2026-03-03T07:00:00.000-06:00',
      bizStep: 'arriving',
      disposition: 'in_transit',
      location: DC,
      via: pallet.uri,
    });
    expect(steps.map((s) => s.eventTime)).toEqual([...steps.map((s) => s.eventTime)].sort((a, b) => a - b));
  });

  it('keeps a unit that stayed on the pallet on it, and shows the pallet its own whole life', async () => {
    const stayed = await journeyOf(db.pool, other.uri);
    expect(stayed.map((s) => s.eventId)).toEqual([
      story.commissionOther.eventId,
      story.packOther.eventId,
      story.palletize.eventId,
      story.ship.eventId,
      story.depart.eventId,
      story.arrive.eventId,
      story.receive.eventId,
      story.unpalletize.eventId, // the pallet was handled while caseB was on it
      story.palletAfterUnpacking.eventId, // caseB never left the pallet
    ]);
    const palletOwn = await journeyOf(db.pool, pallet.uri);
    expect(palletOwn.every((s) => s.via === null)).toBe(true);
    expect(palletOwn.map((s) => s.eventId)).toContain(story.palletBeforeUse.eventId);
  });

  it('finds a unit by any notation, and returns nothing for a unit it has never seen', async () => {
    const serial = resolveUnitId('U1', { gtin: GTIN });
    expect(serial.uri).toBe(unit.uri);
    for (const id of [unit.uri, toEpcUrn(unit.uri, { companyPrefixLength: 7 }), `(01)${GTIN}(21)U1`]) {
      expect((await unitJourney(db.pool, id))?.steps).toHaveLength(11);
    }
    expect(await unitJourney(db.pool, 'NOPE', { gtin: GTIN })).toBeNull();
    expect(() => resolveUnitId('U1')).toThrow(UsageError);
    expect(() => resolveUnitId('(01)04012345100010(21)U1')).toThrow(/not a valid GS1 identifier/);
  });

  it('prints a table with the local time and zone and the container that carried each move', async () => {
    const journey = (await unitJourney(db.pool, unit.uri))!;
    const table = formatJourney(journey).split('\n');
    expect(table).toHaveLength(3 + 11);
    const arrival = table.find((l) => l.includes('arriving'))!;
    expect(arrival).toMatch(
      /^2026-03-03 07:00:00 -06:00\s+arriving\s+in_transit\s+414\/\d{13}\s+00\/\d{18}$/,
    );
  });

  it('agrees with the analyst view, which walks the same function', async () => {
    const view = await db.pool.query(
      'SELECT event_id, via_container FROM analyst.unit_journey WHERE unit_uri = $1 ORDER BY event_time',
      [unit.uri],
    );
    const steps = await journeyOf(db.pool, unit.uri);
    expect(view.rows.map((r) => [r.event_id, r.via_container])).toEqual(steps.map((s) => [s.eventId, s.via]));
  });

  it('places a unit where its containers are now, and where it is itself once unpacked', async () => {
    const now = await db.pool.query(
      'SELECT unit_uri, location, container, last_event_time FROM analyst.lot_units_now WHERE gtin = $1 AND lot = $2 ORDER BY serial',
      [GTIN, LOT],
    );
    expect(now.rows).toEqual([
      { unit_uri: unit.uri, location: STORE, container: null, last_event_time: new Date(at(5, 9)) },
      // Only the pallet was scanned at the DC; the unit in caseB on it is at the DC too.
      { unit_uri: other.uri, location: DC, container: caseB.uri, last_event_time: new Date(at(3, 16)) },
    ]);
  });
});
