-- Exception cases (issue 9 §3): a case per incident, its append-only hash-chained history, and the
-- photos given as evidence (content-addressed by SHA-256).

-- 1. The quality team's token role acts on cases (admin too). Every role is listed, as in 030/040/050.
ALTER TABLE ut.api_tokens DROP CONSTRAINT IF EXISTS api_tokens_role_check;
ALTER TABLE ut.api_tokens ADD CONSTRAINT api_tokens_role_check
  CHECK (role IN ('producer', 'recall_coordinator', 'quality', 'warranty', 'admin', 'reader', 'viewer'));

-- 2. One row per incident. incident_key is deterministic (the signal, DLQ event, alert episode or
--    receiving event it came from), so a replayed or re-consumed record never opens a second case.
--    The row holds the case's current status; everything that happened to it is in ut.case_history.
CREATE TABLE ut.cases (
  case_id          text        PRIMARY KEY,
  incident_key     text        NOT NULL UNIQUE,
  kind             text        NOT NULL CHECK (kind IN ('DAMAGED_LABEL', 'MISSING_SKU', 'MISLABELED_PALLET',
                                                        'QUARANTINE_BREACH', 'DEVICE_FAULT', 'OTHER')),
  status           text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'closed')),
  title            text        NOT NULL,
  playbook         text        NOT NULL,
  playbook_version int         NOT NULL,
  source           text        NOT NULL,  -- signal, dlq, journey, alert, manual
  source_ref       text,                  -- signalId, dlqId, eventId, alertId
  subject          text,                  -- the unit, case or pallet (GS1 Digital Link) when known
  units            text[]      NOT NULL DEFAULT '{}',
  device_id        text,
  site             text,
  line_id          text,
  gtin             text,
  operator_id      text,
  event_id         text,                  -- MISSING_SKU: the event whose later landing resolves it
  occurred_at      timestamptz NOT NULL,
  opened_at        timestamptz NOT NULL DEFAULT now(),
  opened_by        text        NOT NULL,
  closed_at        timestamptz,
  closed_by        text,
  detail           jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX cases_status_idx ON ut.cases (status, opened_at DESC);
CREATE INDEX cases_event_idx ON ut.cases (event_id) WHERE event_id IS NOT NULL AND status = 'open';
CREATE INDEX cases_device_idx ON ut.cases (device_id, occurred_at);

-- 3. The history: entry = the exact JSON text hashed, hash = sha256(prev_hash || entry), one chain
--    per case (seq 1, 2, ...). Refused UPDATE/DELETE/TRUNCATE, like the ledger.
CREATE TABLE ut.case_history (
  case_id    text        NOT NULL REFERENCES ut.cases (case_id),
  seq        int         NOT NULL,
  at         timestamptz NOT NULL,
  actor      text        NOT NULL,
  action     text        NOT NULL,  -- opened, step, evidence, containment, arrived, linked, resolved, closed
  step       text,
  entry      text        NOT NULL,
  prev_hash  bytea,
  hash       bytea       NOT NULL,
  PRIMARY KEY (case_id, seq)
);
CREATE TRIGGER refuse_update_delete BEFORE UPDATE OR DELETE ON ut.case_history
  FOR EACH ROW EXECUTE FUNCTION ut.refuse_change();
CREATE TRIGGER refuse_truncate BEFORE TRUNCATE ON ut.case_history
  FOR EACH STATEMENT EXECUTE FUNCTION ut.refuse_change();

-- 4. Photos, stored once by content; the history entry that gave one names its sha256.
CREATE TABLE ut.evidence_blobs (
  sha256      bytea       PRIMARY KEY,
  media_type  text        NOT NULL CHECK (media_type IN ('image/jpeg', 'image/png')),
  width       int         NOT NULL,
  height      int         NOT NULL,
  size        int         NOT NULL,
  bytes       bytea       NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER refuse_update_delete BEFORE UPDATE OR DELETE ON ut.evidence_blobs
  FOR EACH ROW EXECUTE FUNCTION ut.refuse_change();
CREATE TRIGGER refuse_truncate BEFORE TRUNCATE ON ut.evidence_blobs
  FOR EACH STATEMENT EXECUTE FUNCTION ut.refuse_change();

-- 5. WMS directives issued by containment, to follow their arrival.
CREATE TABLE ut.case_directives (
  directive_id text        PRIMARY KEY,
  case_id      text        NOT NULL REFERENCES ut.cases (case_id),
  units        text[]      NOT NULL,
  containers   text[]      NOT NULL,
  from_location text,
  to_location  text        NOT NULL,
  reason       text        NOT NULL,
  event_ids    text[]      NOT NULL,
  issued_at    timestamptz NOT NULL
);
CREATE INDEX case_directives_case_idx ON ut.case_directives (case_id);
