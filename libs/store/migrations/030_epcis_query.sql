-- The EPCIS 2.0 query interface (libs/epcis-query): the events as partners captured them, who may
-- see whose events, named queries, subscriptions, the landing signal, and the query indexes.

-- A `reader` token queries what is shared with it and captures nothing.
ALTER TABLE ut.api_tokens DROP CONSTRAINT IF EXISTS api_tokens_role_check;
ALTER TABLE ut.api_tokens ADD CONSTRAINT api_tokens_role_check
  CHECK (role IN ('producer', 'recall_coordinator', 'quality', 'warranty', 'admin', 'reader'));

-- Each accepted event of a capture, as the partner sent it: EPCIS 2.0 JSON-LD with its own
-- @context (XML documents arrive rewritten into that form by libs/epcis). Written by the capture
-- API when it accepts the document, before the event is published, so no sink is involved; the
-- query joins it to ut.events, so an event is answered only once it has landed. One row per
-- (event, producer): the same event captured by two partners is each one's. Append-only like the
-- ledger; its integrity check is the Event Hash ID itself, recomputable from `event`.
CREATE TABLE ut.captured_events (
  event_id         text        NOT NULL,
  producer         text        NOT NULL,
  capture_id       text        NOT NULL,
  document_format  text        NOT NULL,
  event            json        NOT NULL,
  captured_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, producer)
);
CREATE INDEX captured_events_producer_idx ON ut.captured_events (producer, event_id);
CREATE TRIGGER refuse_update_delete BEFORE UPDATE OR DELETE ON ut.captured_events
  FOR EACH ROW EXECUTE FUNCTION ut.refuse_change();
CREATE TRIGGER refuse_truncate BEFORE TRUNCATE ON ut.captured_events
  FOR EACH STATEMENT EXECUTE FUNCTION ut.refuse_change();

-- The sharing rule: `owner` (a token name that captures) lets `reader` (any token name) see every
-- event it captured. Nothing else is shared; an admin sees everything.
CREATE TABLE ut.epcis_shares (
  owner       text        NOT NULL,
  reader      text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (owner, reader)
);
CREATE INDEX epcis_shares_reader_idx ON ut.epcis_shares (reader);

-- Named queries (POST /queries): each token's own namespace.
CREATE TABLE ut.epcis_queries (
  owner       text        NOT NULL,
  name        text        NOT NULL,
  query       jsonb       NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (owner, name)
);

-- Webhook subscriptions to a named query: streamed (every newly landed batch) or scheduled.
-- `last_heads` is, per hash chain, the ledger batch (ut.ledger_batches.chain_seq, commit-ordered
-- within its chain, one chain per journey partition) up to which the subscriber has been served; a dispatcher advances it before it delivers (compare-and-set),
-- so two capture API processes never both send one delivery.
CREATE TABLE ut.epcis_subscriptions (
  subscription_id      text        PRIMARY KEY,
  owner                text        NOT NULL,
  query_name           text        NOT NULL,
  dest                 text        NOT NULL,
  secret               text        NOT NULL,
  stream               boolean     NOT NULL,
  schedule             jsonb,
  report_if_empty      boolean     NOT NULL DEFAULT false,
  initial_record_time  timestamptz,
  last_heads           jsonb       NOT NULL,
  last_notified_at     timestamptz,
  last_attempt_at      timestamptz,
  last_error           text,
  created_at           timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (owner, query_name) REFERENCES ut.epcis_queries (owner, name) ON DELETE CASCADE
);
CREATE INDEX epcis_subscriptions_query_idx ON ut.epcis_subscriptions (owner, query_name);

REVOKE ALL ON ut.captured_events, ut.epcis_shares, ut.epcis_queries, ut.epcis_subscriptions FROM PUBLIC;

-- The landing signal: one NOTIFY per committed sink batch (statement level, delivered at commit),
-- so subscriptions learn of new events at once instead of polling.
CREATE FUNCTION ut.notify_ledger_batch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('ut_ledger_batch', '');
  RETURN NULL;
END $$;
CREATE TRIGGER notify_ledger_batch AFTER INSERT ON ut.ledger_batches
  FOR EACH STATEMENT EXECUTE FUNCTION ut.notify_ledger_batch();

-- Query indexes. MATCH_* uses event_identifiers_uri_time_idx (uri, event_time) from 001.
-- EQ_bizStep + EQ_bizLocation + an eventTime window (the partner's daily question):
CREATE INDEX events_step_location_time_idx ON ut.events (biz_step, biz_location, event_time);
-- EQ_eventID with the id the producer declared (our event_id is the hash; the primary key finds it):
CREATE INDEX events_source_event_id_idx ON ut.events (source_event_id) WHERE source_event_id IS NOT NULL;
