-- The journey store. Raw tables live in schema ut; analysts get views (a later migration).
CREATE SCHEMA IF NOT EXISTS ut;

-- The ledger: one row per canonical event, append-only. Partitioned by event time (yearly, plus a
-- default partition). A partitioned table's primary key must contain the partition key, so the key
-- is (event_id, event_time); the event id is the EPCIS event hash, which covers eventTime, so this
-- is exactly as unique as event_id alone. `record` is json (not jsonb) on purpose: it keeps the
-- text byte for byte, and the hash chain is computed over that text.
CREATE TABLE ut.events (
  event_id        text        NOT NULL,
  event_time      timestamptz NOT NULL,
  event_tz        text        NOT NULL,
  event_type      text        NOT NULL,
  action          text,
  biz_step        text,
  disposition     text,
  read_point      text,
  biz_location    text,
  parent_uri      text,
  source_system   text        NOT NULL,
  machine_id      text,
  operator_id     text,
  recall_id       text,
  source_event_id text,
  lineage         text        NOT NULL,
  batch_id        bigint      NOT NULL,
  record          json        NOT NULL,
  inserted_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, event_time)
) PARTITION BY RANGE (event_time);

DO $$
BEGIN
  FOR y IN 2000..2040 LOOP
    EXECUTE format('CREATE TABLE ut.events_y%s PARTITION OF ut.events FOR VALUES FROM (%L) TO (%L)',
                   y, make_date(y, 1, 1), make_date(y + 1, 1, 1));
  END LOOP;
END $$;
CREATE TABLE ut.events_default PARTITION OF ut.events DEFAULT;

CREATE INDEX events_batch_idx ON ut.events (batch_id);
CREATE INDEX events_device_time_idx ON ut.events (machine_id, event_time);
CREATE INDEX events_location_time_idx ON ut.events (biz_location, event_time);

-- Hash chain over the sink's batches: batch_hash = sha256(prev_hash || row hashes in event_id order),
-- row hash = sha256(event_id || '|' || record text). chain_seq orders the chain across concurrent sinks.
CREATE TABLE ut.ledger_batches (
  batch_id    bigint      PRIMARY KEY,
  chain_seq   bigint      NOT NULL UNIQUE,
  prev_hash   bytea,
  batch_hash  bytea       NOT NULL,
  row_count   int         NOT NULL,
  sink        text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE SEQUENCE ut.ledger_batch_seq;

-- Append-only, enforced by the database itself, for everyone including the sink's own role.
CREATE FUNCTION ut.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the ledger is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;

DO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT 'ut.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'ut' AND (c.relname = 'events' OR c.relname LIKE 'events\_%' ESCAPE '\')
             AND c.relkind IN ('r', 'p')
           UNION ALL SELECT 'ut.ledger_batches'
  LOOP
    -- Row triggers on the partitioned parent are cloned onto every partition; TRUNCATE triggers are not.
    IF t IN ('ut.events', 'ut.ledger_batches') THEN
      EXECUTE format('CREATE TRIGGER refuse_update_delete BEFORE UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION ut.refuse_change()', t);
    END IF;
    EXECUTE format('CREATE TRIGGER refuse_truncate BEFORE TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION ut.refuse_change()', t);
  END LOOP;
END $$;

-- Every identifier an event touched, with its role, for "every unit of lot X" and friends.
CREATE TABLE ut.event_identifiers (
  event_id    text        NOT NULL,
  event_time  timestamptz NOT NULL,
  role        text        NOT NULL,  -- epc, parent, child, input, output
  uri         text        NOT NULL,  -- canonical GS1 Digital Link
  scheme      text        NOT NULL,
  gtin        text,
  serial      text,
  lot         text,
  sscc        text,
  PRIMARY KEY (event_id, role, uri)
);
CREATE INDEX event_identifiers_uri_time_idx ON ut.event_identifiers (uri, event_time);
CREATE INDEX event_identifiers_gtin_lot_idx ON ut.event_identifiers (gtin, lot) WHERE gtin IS NOT NULL;

-- Aggregation facts (append-only, order-tolerant): ADD opens "child in parent", DELETE closes it
-- (child '*' = every child of that parent), and a later ADD of the child elsewhere closes it too.
-- Intervals are derived from the facts in a view, so a late event simply takes its place.
CREATE TABLE ut.aggregation_facts (
  event_id    text        NOT NULL,
  child_uri   text        NOT NULL,
  parent_uri  text        NOT NULL,
  event_time  timestamptz NOT NULL,
  action      text        NOT NULL,  -- ADD, OBSERVE, DELETE
  PRIMARY KEY (event_id, child_uri)
);
CREATE INDEX aggregation_facts_child_idx ON ut.aggregation_facts (child_uri, event_time);
CREATE INDEX aggregation_facts_parent_idx ON ut.aggregation_facts (parent_uri, event_time);

CREATE VIEW ut.aggregation_intervals AS
SELECT a.child_uri, a.parent_uri, a.event_time AS from_time,
       LEAST(
         (SELECT min(n.event_time) FROM ut.aggregation_facts n
           WHERE n.child_uri = a.child_uri AND n.action = 'ADD' AND n.event_time > a.event_time),
         (SELECT min(d.event_time) FROM ut.aggregation_facts d
           WHERE d.parent_uri = a.parent_uri AND d.action = 'DELETE' AND d.event_time > a.event_time
             AND d.child_uri IN (a.child_uri, '*'))
       ) AS to_time,
       a.event_id AS opened_by
FROM ut.aggregation_facts a
WHERE a.action = 'ADD';

-- The current state of each identifier (unit, case, pallet): moves only to a newer event.
CREATE TABLE ut.unit_state (
  uri              text        PRIMARY KEY,
  scheme           text        NOT NULL,
  gtin             text,
  serial           text,
  lot              text,
  last_event_id    text        NOT NULL,
  last_event_time  timestamptz NOT NULL,
  biz_step         text,
  disposition      text,
  biz_location     text,
  read_point       text,
  recall_id        text,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX unit_state_gtin_lot_idx ON ut.unit_state (gtin, lot);

-- Records a stage could not process (filled from ut.dlq.v1 by the dlq-sink; idempotent by dlq_id).
CREATE TABLE ut.dlq (
  dlq_id           text        PRIMARY KEY,
  stage            text        NOT NULL,
  reason_codes     text[]      NOT NULL,
  reasons          jsonb       NOT NULL,
  source_topic     text        NOT NULL,
  source_partition int         NOT NULL,
  source_offset    bigint      NOT NULL,
  schema_id        int,
  source_system    text,
  device_id        text,
  event_id         text,
  original_key     bytea,
  original_value   bytea,
  original_headers jsonb       NOT NULL DEFAULT '{}',
  replay_of        text,
  failed_at        timestamptz NOT NULL,
  replayed_at      timestamptz
);
CREATE INDEX dlq_failed_at_idx ON ut.dlq (failed_at);
