-- When the raw record this event came from entered Kafka (its record timestamp, carried through
-- every stage in the ut-origin-ts header): end-to-end latency is inserted_at - origin_ts.
-- Not part of the hash chain, which covers the event record itself.
ALTER TABLE ut.events ADD COLUMN origin_ts timestamptz;

-- The sink inserts identifiers and aggregation facts only for events that are new in the same
-- transaction, so the ledger's primary key already makes them unique; these unique indexes only
-- cost time on every write (36% and 14% of the sink's time went to these two tables).
-- aggregation_facts_child_idx is covered by aggregation_facts_add_idx (ADD facts) and
-- aggregation_facts_delete_idx (DELETE facts).
ALTER TABLE ut.event_identifiers DROP CONSTRAINT event_identifiers_pkey;
ALTER TABLE ut.aggregation_facts DROP CONSTRAINT aggregation_facts_pkey;
DROP INDEX ut.aggregation_facts_child_idx;
CREATE INDEX event_identifiers_event_idx ON ut.event_identifiers (event_id);
