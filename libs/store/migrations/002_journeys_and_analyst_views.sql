-- Journeys (a unit's events plus those of every container while it was inside) and the analyst
-- schema: views with stable names, read through a NOLOGIN group role that cannot see ut.*.

-- "Which parent holds this child" and "was that closed" are the two lookups every journey and every
-- "where is it now" makes; partial indexes keep each one a single short index probe.
CREATE INDEX aggregation_facts_add_idx ON ut.aggregation_facts (child_uri, event_time DESC)
  INCLUDE (parent_uri) WHERE action = 'ADD';
CREATE INDEX aggregation_facts_delete_idx ON ut.aggregation_facts (parent_uri, child_uri, event_time)
  WHERE action = 'DELETE';

-- A unit's journey. Walks up the aggregation hierarchy from the unit, narrowing the time window at
-- each level (unit in case [t1,t2], case in pallet [t3,t4] -> pallet window [max t1 t3, min t2 t4]),
-- then takes every event that touched a container inside its window. Windows are half-open, except
-- that the DELETE that closes a window (e.g. "unpack everything", which names no child) belongs to
-- it. An event reached by several paths is reported once, by the nearest container (depth 0 = the
-- unit's own). SECURITY DEFINER so that analyst.unit_journey can call it without rights on ut.*;
-- plpgsql so that each session plans the query once and reuses the plan.
CREATE FUNCTION ut.journey(unit_uri text)
RETURNS TABLE (
  event_id      text,
  event_time    timestamptz,
  event_tz      text,
  event_type    text,
  action        text,
  biz_step      text,
  disposition   text,
  biz_location  text,
  read_point    text,
  via_container text,
  depth         int
)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH RECURSIVE chain (container, depth, from_t, to_t) AS (
    SELECT unit_uri, 0, '-infinity'::timestamptz, 'infinity'::timestamptz
    UNION ALL
    SELECT a.parent_uri, c.depth + 1, GREATEST(c.from_t, a.event_time), LEAST(c.to_t, closed.at)
    FROM chain c
    JOIN ut.aggregation_facts a
      ON a.child_uri = c.container AND a.action = 'ADD' AND a.event_time < c.to_t
    CROSS JOIN LATERAL (
      SELECT COALESCE(LEAST(
        (SELECT min(n.event_time) FROM ut.aggregation_facts n
          WHERE n.child_uri = a.child_uri AND n.action = 'ADD' AND n.event_time > a.event_time),
        (SELECT min(d.event_time) FROM ut.aggregation_facts d
          WHERE d.parent_uri = a.parent_uri AND d.action = 'DELETE'
            AND d.child_uri IN (a.child_uri, '*') AND d.event_time > a.event_time)
      ), 'infinity'::timestamptz) AS at
    ) closed
    WHERE closed.at > c.from_t
      AND c.depth < 16 -- a cycle in bad aggregation data must not loop forever
  )
  SELECT h.event_id, h.event_time, h.event_tz, h.event_type, h.action, h.biz_step, h.disposition,
         h.biz_location, h.read_point, h.via_container, h.depth
  FROM (
    SELECT DISTINCT ON (e.event_id)
           e.event_id, e.event_time, e.event_tz, e.event_type, e.action, e.biz_step, e.disposition,
           e.biz_location, e.read_point,
           CASE WHEN c.depth = 0 THEN NULL ELSE c.container END AS via_container, c.depth
    FROM chain c
    JOIN ut.event_identifiers i
      ON i.uri = c.container AND i.event_time >= c.from_t AND i.event_time <= c.to_t
    JOIN ut.events e ON e.event_id = i.event_id AND e.event_time = i.event_time
    WHERE i.event_time < c.to_t
       OR (e.event_type = 'AggregationEvent' AND e.action = 'DELETE' AND e.parent_uri = c.container)
    ORDER BY e.event_id, c.depth
  ) h
  ORDER BY h.event_time, h.depth, h.event_id;
END
$fn$;

-- The analyst schema. Views run with their owner's rights, so they read ut.* for the analyst.
CREATE SCHEMA analyst;

-- Every unit's journey; filter on unit_uri (the canonical Digital Link) and only that unit is walked.
CREATE VIEW analyst.unit_journey AS
SELECT s.uri AS unit_uri, j.event_time, j.event_tz, j.biz_step, j.disposition,
       COALESCE(j.biz_location, j.read_point) AS location, j.via_container, j.event_id
FROM ut.unit_state s
CROSS JOIN LATERAL ut.journey(s.uri) j;

-- Every serialised unit with where it is now: the newest of its own state and the states of the
-- containers it is in now (a unit on a pallet that arrived at the DC is at the DC, even though
-- only the pallet was scanned). The container a child is in now is its latest ADD, unless a DELETE
-- of it (or of every child, '*') on that parent came later; a later ADD elsewhere is the latest ADD.
-- Four levels (case, pallet, shipment, one more), written out rather than recursive so that a filter
-- on gtin and lot reaches the index and each level is one index probe per unit.
CREATE VIEW analyst.lot_units_now AS
SELECT s.gtin, s.lot, s.uri AS unit_uri, s.serial,
       here.location, c1.parent_uri AS container, here.disposition, here.last_event_time
FROM ut.unit_state s
LEFT JOIN LATERAL (
  SELECT a.parent_uri FROM (
    SELECT f.parent_uri, f.event_time FROM ut.aggregation_facts f
     WHERE f.child_uri = s.uri AND f.action = 'ADD' ORDER BY f.event_time DESC LIMIT 1) a
  WHERE NOT EXISTS (SELECT 1 FROM ut.aggregation_facts d
                     WHERE d.parent_uri = a.parent_uri AND d.action = 'DELETE'
                       AND d.child_uri IN (s.uri, '*') AND d.event_time > a.event_time)
) c1 ON true
LEFT JOIN ut.unit_state s1 ON s1.uri = c1.parent_uri
LEFT JOIN LATERAL (
  SELECT a.parent_uri FROM (
    SELECT f.parent_uri, f.event_time FROM ut.aggregation_facts f
     WHERE f.child_uri = c1.parent_uri AND f.action = 'ADD' ORDER BY f.event_time DESC LIMIT 1) a
  WHERE NOT EXISTS (SELECT 1 FROM ut.aggregation_facts d
                     WHERE d.parent_uri = a.parent_uri AND d.action = 'DELETE'
                       AND d.child_uri IN (c1.parent_uri, '*') AND d.event_time > a.event_time)
) c2 ON true
LEFT JOIN ut.unit_state s2 ON s2.uri = c2.parent_uri
LEFT JOIN LATERAL (
  SELECT a.parent_uri FROM (
    SELECT f.parent_uri, f.event_time FROM ut.aggregation_facts f
     WHERE f.child_uri = c2.parent_uri AND f.action = 'ADD' ORDER BY f.event_time DESC LIMIT 1) a
  WHERE NOT EXISTS (SELECT 1 FROM ut.aggregation_facts d
                     WHERE d.parent_uri = a.parent_uri AND d.action = 'DELETE'
                       AND d.child_uri IN (c2.parent_uri, '*') AND d.event_time > a.event_time)
) c3 ON true
LEFT JOIN ut.unit_state s3 ON s3.uri = c3.parent_uri
LEFT JOIN LATERAL (
  SELECT a.parent_uri FROM (
    SELECT f.parent_uri, f.event_time FROM ut.aggregation_facts f
     WHERE f.child_uri = c3.parent_uri AND f.action = 'ADD' ORDER BY f.event_time DESC LIMIT 1) a
  WHERE NOT EXISTS (SELECT 1 FROM ut.aggregation_facts d
                     WHERE d.parent_uri = a.parent_uri AND d.action = 'DELETE'
                       AND d.child_uri IN (c3.parent_uri, '*') AND d.event_time > a.event_time)
) c4 ON true
LEFT JOIN ut.unit_state s4 ON s4.uri = c4.parent_uri
-- The newest state wins; on a tie the nearest (the unit itself, then its case...).
CROSS JOIN LATERAL (SELECT GREATEST(s.last_event_time, s1.last_event_time, s2.last_event_time,
                                   s3.last_event_time, s4.last_event_time) AS t) newest
CROSS JOIN LATERAL (
  SELECT CASE newest.t WHEN s.last_event_time THEN COALESCE(s.biz_location, s.read_point)
                       WHEN s1.last_event_time THEN COALESCE(s1.biz_location, s1.read_point)
                       WHEN s2.last_event_time THEN COALESCE(s2.biz_location, s2.read_point)
                       WHEN s3.last_event_time THEN COALESCE(s3.biz_location, s3.read_point)
                       ELSE COALESCE(s4.biz_location, s4.read_point) END AS location,
         CASE newest.t WHEN s.last_event_time THEN s.disposition
                       WHEN s1.last_event_time THEN s1.disposition
                       WHEN s2.last_event_time THEN s2.disposition
                       WHEN s3.last_event_time THEN s3.disposition
                       ELSE s4.disposition END AS disposition,
         newest.t AS last_event_time
) here
WHERE s.scheme = 'sgtin';

-- Everything a device (machine, scanner, truck) read: filter on machine_id and an event_time range.
CREATE VIEW analyst.device_reads AS
SELECT e.machine_id, e.event_time, i.uri AS unit_uri, e.event_id, e.biz_step
FROM ut.events e
JOIN ut.event_identifiers i ON i.event_id = e.event_id AND i.event_time = e.event_time
WHERE e.machine_id IS NOT NULL;

-- Events per site (business location, else read point) and local calendar day at the site.
CREATE VIEW analyst.site_daily_events AS
SELECT COALESCE(e.biz_location, e.read_point) AS site,
       ((e.event_time AT TIME ZONE 'UTC') + e.event_tz::interval)::date AS day,
       count(*) AS events
FROM ut.events e
GROUP BY 1, 2;

-- Dead-lettered records per source system, UTC day and reason code (a record with two reasons
-- counts under both).
CREATE VIEW analyst.dlq_reasons_daily AS
SELECT d.source_system, (d.failed_at AT TIME ZONE 'UTC')::date AS day, r.reason_code,
       count(*) AS records
FROM ut.dlq d
CROSS JOIN LATERAL unnest(d.reason_codes) AS r(reason_code)
GROUP BY 1, 2, 3;

-- The group role. Roles are cluster-wide while this migration runs once per database (and tests
-- migrate many databases at once), so creating it tolerates "already there".
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'unitrail_analyst') THEN
    CREATE ROLE unitrail_analyst NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END $$;

-- Nothing in ut is for PUBLIC (PostgreSQL grants nothing there by default; this makes it explicit
-- and also covers the function, which PUBLIC could otherwise execute).
REVOKE ALL ON SCHEMA ut FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA ut FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA ut FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ut FROM PUBLIC;
REVOKE ALL ON SCHEMA analyst FROM PUBLIC;

GRANT USAGE ON SCHEMA analyst TO unitrail_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA analyst TO unitrail_analyst;
-- A view calls its functions with the caller's rights to execute them (the function itself then
-- runs as its owner): the one function the journey view needs.
GRANT EXECUTE ON FUNCTION ut.journey(text) TO unitrail_analyst;
