-- The capture API: bearer tokens (only their SHA-256 is kept) and capture jobs, so that
-- GET /capture/{id} answers after a restart and every rejected event stays listed with its reasons.

CREATE TABLE ut.api_tokens (
  token_id    bigserial   PRIMARY KEY,
  name        text        NOT NULL,
  role        text        NOT NULL CHECK (role IN ('producer', 'recall_coordinator', 'admin')),
  token_hash  text        NOT NULL UNIQUE,  -- hex SHA-256 of the token; the token itself is never stored
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);
-- One live token per name: `token revoke NAME` is unambiguous, and a name can be reissued after it.
CREATE UNIQUE INDEX api_tokens_live_name_idx ON ut.api_tokens (name) WHERE revoked_at IS NULL;

CREATE TABLE ut.capture_jobs (
  capture_id       text        PRIMARY KEY,
  status           text        NOT NULL CHECK (status IN ('running', 'success', 'partial', 'failed')),
  producer         text        NOT NULL,  -- the token name that captured the document
  document_format  text        NOT NULL,  -- json or xml
  document_bytes   int         NOT NULL,
  error_behaviour  text        NOT NULL CHECK (error_behaviour IN ('proceed', 'rollback')),
  event_count      int         NOT NULL,
  accepted_count   int         NOT NULL,
  published_count  int         NOT NULL DEFAULT 0,
  -- [{index, eventId?, reasons: [{code, message}]}], one entry per rejected event, in document order
  errors           jsonb       NOT NULL DEFAULT '[]',
  -- [{index, eventId, record?}]: each accepted event, with the raw record (topic/partition/offset,
  -- the lineage ut.events keeps) once it is published
  events           jsonb       NOT NULL DEFAULT '[]',
  failure          text,                  -- why publishing stopped, when it did
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz
);
CREATE INDEX capture_jobs_created_idx ON ut.capture_jobs (created_at DESC);
CREATE INDEX capture_jobs_producer_created_idx ON ut.capture_jobs (producer, created_at DESC);

REVOKE ALL ON ut.api_tokens, ut.capture_jobs FROM PUBLIC;
