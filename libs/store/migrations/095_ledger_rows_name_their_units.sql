-- Issue 12 §2, the sink's PostgreSQL cost per event: every ledger row names the identifiers its
-- event touched (identifier_uris, in the order of its identifier rows), and the identifiers lose
-- their index by event (event_identifiers_event_idx, migration 006).
--
-- That index served the reads that start from ledger rows (a device's reads, a recall scoped by
-- device or time window) and cost one more index entry per identifier row: ~4.7 per event, a third
-- of the identifiers' WAL records, and a second relation that four concurrent sinks extend page by
-- page. The journey, EPCIS MATCH_* and warranty reads go from identifiers by uri and never used it.
-- The array is part of the ledger row the sink already writes (no row, no index entry more) and is
-- not covered by the hash chain, which covers the event record itself.

ALTER TABLE ut.events ADD COLUMN identifier_uris text[];

-- The ledger refuses UPDATE by trigger (on every partition); only this migration, in its
-- transaction, fills the new column of the rows already there, from the identifiers they wrote.
DO $$
DECLARE
  p regclass;
BEGIN
  FOR p IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'ut.events'::regclass LOOP
    EXECUTE format('ALTER TABLE %s DISABLE TRIGGER refuse_update_delete', p);
  END LOOP;
  UPDATE ut.events e
     SET identifier_uris = COALESCE(
           (SELECT array_agg(i.uri ORDER BY CASE i.role WHEN 'epc' THEN 0 WHEN 'parent' THEN 1 WHEN 'child' THEN 2
                                                        WHEN 'input' THEN 3 ELSE 4 END, i.uri)
              FROM ut.event_identifiers i WHERE i.event_id = e.event_id AND i.event_time = e.event_time),
           '{}');
  FOR p IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'ut.events'::regclass LOOP
    EXECUTE format('ALTER TABLE %s ENABLE TRIGGER refuse_update_delete', p);
  END LOOP;
END $$;

ALTER TABLE ut.events ALTER COLUMN identifier_uris SET NOT NULL;

DROP INDEX ut.event_identifiers_event_idx;

-- A device's reads: its ledger rows by (machine_id, event_time), each with the units it names.
-- Same columns and rows as migration 010's join.
CREATE OR REPLACE VIEW analyst.device_reads AS
SELECT e.machine_id, e.event_time, u.uri AS unit_uri, e.event_id, e.biz_step
FROM ut.events e
CROSS JOIN LATERAL unnest(e.identifier_uris) AS u(uri)
WHERE e.machine_id IS NOT NULL;
