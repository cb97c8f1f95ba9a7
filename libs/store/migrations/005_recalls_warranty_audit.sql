-- Recalls (the database copy of ut.recalls.v1), partner notices sent for them, quarantine runs,
-- warranty claims, and the ops API's audit log of who read or changed what.

CREATE TABLE ut.recalls (
  recall_id         text        PRIMARY KEY,
  status            text        NOT NULL CHECK (status IN ('active', 'closed')),
  reason            text        NOT NULL,
  gtin              text        NOT NULL,
  lots              text[]      NOT NULL DEFAULT '{}',
  serials           text[]      NOT NULL DEFAULT '{}',
  from_time         timestamptz,
  to_time           timestamptz,
  device_id         text,
  -- Resolved from the journey store when declared: cases, pallets and shipments holding units in
  -- scope, and (for a device or time-window scope) the units themselves; the router routes their
  -- events to the surge topic too.
  containers        text[]      NOT NULL DEFAULT '{}',
  units             text[]      NOT NULL DEFAULT '{}',
  quarantined_at    timestamptz,
  quarantine_sites  text[]      NOT NULL DEFAULT '{}',
  declared_at       timestamptz NOT NULL,
  declared_by       text,
  closed_at         timestamptz,
  closed_by         text
);
CREATE INDEX recalls_active_gtin_idx ON ut.recalls (gtin) WHERE status = 'active';

-- One row per partner and recall: a notice is sent once per channel, whoever asks again.
CREATE TABLE ut.recall_notices (
  recall_id        text        NOT NULL REFERENCES ut.recalls (recall_id),
  partner_id       text        NOT NULL,
  units            int         NOT NULL,
  alert_sent_at    timestamptz,           -- the partner_notice on ut.alerts.v1
  webhook_url      text,
  webhook_sent_at  timestamptz,
  attempts         int         NOT NULL DEFAULT 0,
  last_error       text,
  claimed_until    timestamptz,           -- a sender holds the row until then (no double sends)
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (recall_id, partner_id)
);

-- Each quarantine run: which units it covered and the raw records its EPCIS events went out as.
CREATE TABLE ut.recall_quarantines (
  quarantine_id  bigserial   PRIMARY KEY,
  recall_id      text        NOT NULL REFERENCES ut.recalls (recall_id),
  site           text,
  units          int         NOT NULL,
  event_ids      text[]      NOT NULL,
  records        text[]      NOT NULL,
  requested_by   text,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recall_quarantines_recall_idx ON ut.recall_quarantines (recall_id);

-- Warranty claims: one row per (unit, reference); a second reference on one unit names the first.
CREATE TABLE ut.warranty_claims (
  claim_id     bigserial   PRIMARY KEY,
  unit_uri     text        NOT NULL,
  claim_ref    text        NOT NULL,
  claimed_by   text,
  claimed_at   timestamptz NOT NULL DEFAULT now(),
  first_ref    text,                  -- the first claim's reference when this one is a repeat
  UNIQUE (unit_uri, claim_ref)
);
CREATE INDEX warranty_claims_unit_idx ON ut.warranty_claims (unit_uri, claimed_at);

-- Who read or changed what through the ops API (and the CLI's recall writes).
CREATE TABLE ut.audit_log (
  audit_id   bigserial   PRIMARY KEY,
  at         timestamptz NOT NULL DEFAULT now(),
  actor      text        NOT NULL,   -- token name, or cli:<os user>
  role       text,
  action     text        NOT NULL,   -- e.g. GET /recalls/{id}/report, recall.declare
  resource   text,                   -- e.g. the recall id or unit
  status     int,
  detail     jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON ut.audit_log (at);
CREATE INDEX audit_log_resource_idx ON ut.audit_log (resource, at);

REVOKE ALL ON ut.recalls, ut.recall_notices, ut.recall_quarantines, ut.warranty_claims, ut.audit_log
  FROM PUBLIC;
