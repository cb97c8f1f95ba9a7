-- Issue 12: "every unit of a lot, with where it is now" ≤ 100 ms p99 on the 10M-event store.
--
-- 1. analyst.lot_units_now walks each unit's containers in one lateral subquery keyed by the unit's
--    container. A lot's 10,000 units sit in ~420 cases, so a Memoize over that subquery walks each
--    case once (420 misses, 9,580 hits) in every plan: the walk is no longer four joins the planner
--    may turn into a sort of the lot by container and a merge join that reads unit_state's primary
--    key from its start up to the lot's last case (what it chose on the bench store). Same rows: the
--    newest state wins, on a tie the nearest (the unit itself, then its case, ...), as in 010.
-- 2. No JIT on this database. Every query of the journey store is an index walk of a few ms; a plan
--    whose estimate crosses jit_above_cost (a 10,000-unit lot: the planner cannot know the Memoize
--    hit rate) spent 110 ms compiling to run 20 ms. Settings of a database apply to new sessions.

CREATE OR REPLACE VIEW analyst.lot_units_now AS
SELECT s.gtin, s.lot, s.uri AS unit_uri, s.serial,
       CASE WHEN up.t IS NULL OR s.last_event_time >= up.t THEN COALESCE(s.biz_location, s.read_point)
            ELSE up.location END AS location,
       s.container_uri AS container,
       CASE WHEN up.t IS NULL OR s.last_event_time >= up.t THEN s.disposition
            ELSE up.disposition END AS disposition,
       GREATEST(s.last_event_time, up.t) AS last_event_time
FROM ut.unit_state s
LEFT JOIN LATERAL (
  -- The newest state among the container levels; on a tie the nearest.
  SELECT CASE newest.t WHEN s1.last_event_time THEN COALESCE(s1.biz_location, s1.read_point)
                       WHEN s2.last_event_time THEN COALESCE(s2.biz_location, s2.read_point)
                       WHEN s3.last_event_time THEN COALESCE(s3.biz_location, s3.read_point)
                       ELSE COALESCE(s4.biz_location, s4.read_point) END AS location,
         CASE newest.t WHEN s1.last_event_time THEN s1.disposition
                       WHEN s2.last_event_time THEN s2.disposition
                       WHEN s3.last_event_time THEN s3.disposition
                       ELSE s4.disposition END AS disposition,
         newest.t
  FROM ut.unit_state s1
  LEFT JOIN ut.unit_state s2 ON s2.uri = s1.container_uri
  LEFT JOIN ut.unit_state s3 ON s3.uri = s2.container_uri
  LEFT JOIN ut.unit_state s4 ON s4.uri = s3.container_uri
  CROSS JOIN LATERAL (SELECT GREATEST(s1.last_event_time, s2.last_event_time, s3.last_event_time,
                                      s4.last_event_time) AS t) newest
  WHERE s1.uri = s.container_uri
  OFFSET 0 -- keeps the subquery whole (not pulled up into the outer joins), so it can be memoized
) up ON true
WHERE s.scheme = 'sgtin';

DO $$
BEGIN
  EXECUTE format('ALTER DATABASE %I SET jit = off', current_database());
END $$;
