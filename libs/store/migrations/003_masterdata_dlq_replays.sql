-- Master data as loaded by `unitrail masterdata load`; the compacted ut.masterdata.v1 carries the
-- same records to the stages, which keep them in memory.
CREATE TABLE ut.masterdata (
  kind        text        NOT NULL,  -- product (id: GTIN-14), site (id: GLN), device, operator, partner
  id          text        NOT NULL,
  name        text        NOT NULL,
  attributes  jsonb       NOT NULL DEFAULT '{}',
  deleted     boolean     NOT NULL DEFAULT false,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, id)
);

-- Every replay of a DLQ record: where it was sent back, when, by whom. A replay that fails again
-- is a new DLQ record whose replay_of names the original, so the whole history is kept.
CREATE TABLE ut.dlq_replays (
  replay_id        bigserial   PRIMARY KEY,
  dlq_id           text        NOT NULL REFERENCES ut.dlq (dlq_id),
  target_topic     text        NOT NULL,
  target_partition int         NOT NULL,
  target_offset    bigint      NOT NULL,
  replayed_by      text,
  replayed_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dlq_replays_dlq_idx ON ut.dlq_replays (dlq_id);
CREATE INDEX dlq_reason_codes_idx ON ut.dlq USING gin (reason_codes);
CREATE INDEX dlq_replay_of_idx ON ut.dlq (replay_of) WHERE replay_of IS NOT NULL;
