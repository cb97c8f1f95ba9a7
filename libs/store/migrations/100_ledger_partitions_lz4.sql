-- Issue 12, the sink's PostgreSQL CPU per event: the ledger's record text is compressed with lz4 in
-- every partition, as migration 010 meant.
--
-- 010 set lz4 on ut.events, the partitioned table; its partitions (made in 001, before it) kept the
-- default, pglz. A record of about 1.9 KB crosses the TOAST threshold with its row, so the ledger
-- COPY compressed two records in three with pglz: 6.5% of the sink's backend CPU in a profile of
-- `unitrail bench sink` (perf, docs/capacity.md). Partitions made after this take the parent's lz4.
--
-- Only the method for values written from now on changes: stored values are read as they are (a
-- value carries its method), nothing is rewritten, and the record's text is the same either way.
DO $$
DECLARE
  p regclass;
BEGIN
  FOR p IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'ut.events'::regclass LOOP
    EXECUTE format('ALTER TABLE %s ALTER COLUMN record SET COMPRESSION lz4', p);
  END LOOP;
END $$;
