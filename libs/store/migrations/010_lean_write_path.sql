-- The lean write path (issue 12 §2): what the sink writes per event shrinks to what the reads use.
--
-- 1. Identifiers carry what a journey shows, in one covering index (uri, event_time) INCLUDE (...),
--    so a journey is an index-only walk that never reads the ledger's heap. The table is rebuilt
--    (not updated in place, which would leave every row dead once): scheme, serial, lot and sscc
--    went unread (unit_state has them), and so did the (gtin, lot) index.
-- 2. unit_state keeps the unit's container now, so "where is this lot now" is one probe per level.
-- 3. The ledger's hash chain becomes one chain per journey partition (column `chain`), tied together
--    by periodic anchor rows, so sinks on different partitions never wait on one lock.
-- 4. lz4 for the record text's TOAST, fillfactor 70 on the one updated table, and the indexes no
--    read uses are gone: (biz_location, event_time); the batch lookup of `ledger verify` becomes BRIN.

-- 1. Identifiers.
CREATE TABLE ut.event_identifiers_v2 (
  uri          text        NOT NULL,  -- canonical GS1 Digital Link
  event_time   timestamptz NOT NULL,
  event_id     text        NOT NULL,
  role         text        NOT NULL,  -- epc, parent, child, input, output
  gtin         text,
  event_tz     text        NOT NULL,
  event_type   text        NOT NULL,
  action       text,
  biz_step     text,
  disposition  text,
  biz_location text,
  read_point   text
);
INSERT INTO ut.event_identifiers_v2
SELECT i.uri, i.event_time, i.event_id, i.role, i.gtin, e.event_tz, e.event_type, e.action, e.biz_step,
       e.disposition, e.biz_location, e.read_point
FROM ut.event_identifiers i
JOIN ut.events e ON e.event_id = i.event_id AND e.event_time = i.event_time;

DROP VIEW analyst.device_reads;
DROP TABLE ut.event_identifiers;
ALTER TABLE ut.event_identifiers_v2 RENAME TO event_identifiers;
CREATE INDEX event_identifiers_journey_idx ON ut.event_identifiers (uri, event_time)
  INCLUDE (event_id, role, event_tz, event_type, action, biz_step, disposition, biz_location, read_point);
-- "what did device M read": from the ledger's (machine_id, event_time) to the identifiers by event.
CREATE INDEX event_identifiers_event_idx ON ut.event_identifiers (event_id);
REVOKE ALL ON ut.event_identifiers FROM PUBLIC;

CREATE VIEW analyst.device_reads AS
SELECT e.machine_id, e.event_time, i.uri AS unit_uri, e.event_id, e.biz_step
FROM ut.events e
JOIN ut.event_identifiers i ON i.event_id = e.event_id AND i.event_time = e.event_time
WHERE e.machine_id IS NOT NULL;
GRANT SELECT ON analyst.device_reads TO unitrail_analyst;

-- The journey, now from the identifiers alone (same rows, same order as migration 002's).
CREATE OR REPLACE FUNCTION ut.journey(unit_uri text)
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
    SELECT DISTINCT ON (i.event_id)
           i.event_id, i.event_time, i.event_tz, i.event_type, i.action, i.biz_step, i.disposition,
           i.biz_location, i.read_point,
           CASE WHEN c.depth = 0 THEN NULL ELSE c.container END AS via_container, c.depth
    FROM chain c
    JOIN ut.event_identifiers i
      ON i.uri = c.container AND i.event_time >= c.from_t AND i.event_time <= c.to_t
    -- The DELETE that closes a container's window (role parent: the container is its parent).
    WHERE i.event_time < c.to_t
       OR (i.event_type = 'AggregationEvent' AND i.action = 'DELETE' AND i.role = 'parent')
    ORDER BY i.event_id, c.depth
  ) h
  ORDER BY h.event_time, h.depth, h.event_id;
END
$fn$;
REVOKE ALL ON FUNCTION ut.journey(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ut.journey(text) TO unitrail_analyst;

-- 2. The container now. Maintained by the sink from the child's newest ADD (container_time and
-- container_event_id order it): that ADD's parent, unless a DELETE of the child (or of every child)
-- on that parent came later, in which case NULL. Same rule as the lateral joins it replaces.
ALTER TABLE ut.unit_state
  ADD COLUMN container_uri      text,
  ADD COLUMN container_time     timestamptz,
  ADD COLUMN container_event_id text;
ALTER TABLE ut.unit_state SET (fillfactor = 70);

UPDATE ut.unit_state s
   SET container_time = a.event_time, container_event_id = a.event_id,
       container_uri = CASE WHEN EXISTS (
                              SELECT 1 FROM ut.aggregation_facts d
                               WHERE d.parent_uri = a.parent_uri AND d.action = 'DELETE'
                                 AND d.child_uri IN (a.child_uri, '*') AND d.event_time > a.event_time)
                            THEN NULL ELSE a.parent_uri END
  FROM (SELECT DISTINCT ON (f.child_uri) f.child_uri, f.parent_uri, f.event_time, f.event_id
          FROM ut.aggregation_facts f WHERE f.action = 'ADD'
         ORDER BY f.child_uri, f.event_time DESC, f.event_id DESC) a
 WHERE s.uri = a.child_uri;

-- A DELETE naming no child empties its parent: every unit whose container now is that parent.
CREATE INDEX unit_state_container_idx ON ut.unit_state (container_uri) WHERE container_uri IS NOT NULL;

-- Location now of a lot: the units, then one probe per container level; lot_units_now walks the
-- maintained containers instead of two aggregation probes per level.
CREATE OR REPLACE VIEW analyst.lot_units_now AS
SELECT s.gtin, s.lot, s.uri AS unit_uri, s.serial,
       here.location, s.container_uri AS container, here.disposition, here.last_event_time
FROM ut.unit_state s
LEFT JOIN ut.unit_state s1 ON s1.uri = s.container_uri
LEFT JOIN ut.unit_state s2 ON s2.uri = s1.container_uri
LEFT JOIN ut.unit_state s3 ON s3.uri = s2.container_uri
LEFT JOIN ut.unit_state s4 ON s4.uri = s3.container_uri
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

-- 3. One hash chain per journey partition. The chain so far becomes the chain named '' (its rows
-- keep their chain_seq); anchors tie the heads of every chain together in one chain of their own.
ALTER TABLE ut.ledger_batches ADD COLUMN chain text NOT NULL DEFAULT '';
ALTER TABLE ut.ledger_batches DROP CONSTRAINT ledger_batches_chain_seq_key;
ALTER TABLE ut.ledger_batches ADD CONSTRAINT ledger_batches_chain_seq_key UNIQUE (chain, chain_seq);

-- heads: the text of a JSON array [[chain, chain_seq, batch_hash hex], ...] ordered by chain, kept
-- byte for byte (json, not jsonb); anchor_hash = sha256(prev_hash || heads text).
CREATE TABLE ut.ledger_anchors (
  anchor_seq  bigint      PRIMARY KEY,
  prev_hash   bytea,
  heads       json        NOT NULL,
  anchor_hash bytea       NOT NULL,
  sink        text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER refuse_update_delete BEFORE UPDATE OR DELETE ON ut.ledger_anchors
  FOR EACH ROW EXECUTE FUNCTION ut.refuse_change();
CREATE TRIGGER refuse_truncate BEFORE TRUNCATE ON ut.ledger_anchors
  FOR EACH STATEMENT EXECUTE FUNCTION ut.refuse_change();
REVOKE ALL ON ut.ledger_anchors FROM PUBLIC;

-- 4. Storage.
ALTER TABLE ut.events ALTER COLUMN record SET COMPRESSION lz4;
DROP INDEX ut.events_location_time_idx;
DROP INDEX ut.events_batch_idx;
CREATE INDEX events_batch_idx ON ut.events USING brin (batch_id) WITH (pages_per_range = 16);
