-- Issue 12, the surge drain: the identifiers, hash-partitioned by unit.
--
-- `unitrail bench surge` sampled the four surge sinks waiting on relation-extension locks for 5-7%
-- of their time in a transaction, two in three of those waits on the identifiers: four backends grew
-- one heap and one B-tree (random uris) a page at a time, PostgreSQL 15 extending a relation by one
-- page under its extension lock. Eight partitions by hash of the uri give them eight heaps and eight
-- indexes to grow. Every read by unit (a journey's walk, EPCIS MATCH_* by EPC, warranty) names the
-- uri and reaches one partition; a read by several uris or by GTIN reads all eight, as it read the
-- one table before.
--
-- The table is rebuilt, as in 010: a partitioned table beside it, every row copied, the old one
-- dropped and the new one renamed (no view or function depends on it by reference). It has the
-- columns of the table it replaces (LIKE: names, types, NOT NULL, in order), and its one index is
-- the same covering journey index, now one per partition.
CREATE TABLE ut.event_identifiers_by_unit (LIKE ut.event_identifiers) PARTITION BY HASH (uri);

DO $$
BEGIN
  FOR n IN 0..7 LOOP
    EXECUTE format(
      'CREATE TABLE ut.event_identifiers_%s PARTITION OF ut.event_identifiers_by_unit FOR VALUES WITH (MODULUS 8, REMAINDER %s)',
      n, n);
  END LOOP;
END $$;

INSERT INTO ut.event_identifiers_by_unit SELECT * FROM ut.event_identifiers;

DROP TABLE ut.event_identifiers;
ALTER TABLE ut.event_identifiers_by_unit RENAME TO event_identifiers;
CREATE INDEX event_identifiers_journey_idx ON ut.event_identifiers (uri, event_time)
  INCLUDE (event_id, role, event_tz, event_type, action, biz_step, disposition, biz_location, read_point);
REVOKE ALL ON ut.event_identifiers FROM PUBLIC;

-- Autovacuum analyzes the partitions, never the partitioned table: its statistics across all
-- partitions (what a join with it estimates from) are taken here; docs/operations.md says when to
-- take them again.
ANALYZE ut.event_identifiers;
