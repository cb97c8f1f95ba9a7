-- Issue 12: "every unit of a lot, with where it is now" (analyst.lot_units_now) on a large store.
--
-- The units of a lot sit in a few hundred cases, so the walk up the containers should look each
-- case up once (a Memoize node over the probe of unit_state by uri) rather than once per unit. The
-- planner chooses that only when it knows how many units a (gtin, lot) holds: gtin and lot are far
-- from independent (a lot belongs to one GTIN), and without these statistics it expected 1,240 of
-- 10,000 units and planned a per-unit probe. A parallel plan did not memoize either and, on a small
-- box, its workers only add start-up time: unit_state is read by key (a unit, a lot, a container),
-- never scanned whole by the pipeline, so it gets no parallel workers.
-- On the 10M-event bench store: EXPLAIN ANALYZE of one lot, 10,000 units, 10,000 case probes →
-- 418 (Memoize hits 9,582).
CREATE STATISTICS ut.unit_state_gtin_lot_stats (ndistinct, dependencies) ON gtin, lot FROM ut.unit_state;
ALTER TABLE ut.unit_state SET (parallel_workers = 0);
ANALYZE ut.unit_state;
