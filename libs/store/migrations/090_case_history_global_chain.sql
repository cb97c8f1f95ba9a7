-- Case histories chained across cases (issue 9 §3, "tamper-evident like the ledger"): each case's
-- history is a hash chain of its own (070), so deleting a whole case, its row and its history, left
-- no trace. Every entry now also has a place in ONE chain over all cases, in the order entries were
-- written (writers take an advisory lock, libs/cases/store.ts):
--   gseq  = 1, 2, 3, ... without gaps
--   ghash = sha256(gprev || hash), gprev = the previous entry's ghash (NULL for the first)
-- A deleted case or entry leaves a gap in gseq and a broken gprev link (`unitrail exceptions verify`).

ALTER TABLE ut.case_history ADD COLUMN gseq bigint, ADD COLUMN gprev bytea, ADD COLUMN ghash bytea;

-- Existing entries are chained in the order they were written as far as the rows tell (time, then
-- case and seq). The table refuses UPDATE by trigger; only this migration, in its transaction, sets
-- the new columns of rows already there.
ALTER TABLE ut.case_history DISABLE TRIGGER refuse_update_delete;
DO $$
DECLARE
  r record;
  n bigint := 0;
  prev bytea := NULL;
  h bytea;
BEGIN
  FOR r IN SELECT case_id, seq, hash FROM ut.case_history ORDER BY at, case_id, seq LOOP
    n := n + 1;
    h := sha256(coalesce(prev, ''::bytea) || r.hash);
    UPDATE ut.case_history SET gseq = n, gprev = prev, ghash = h WHERE case_id = r.case_id AND seq = r.seq;
    prev := h;
  END LOOP;
END $$;
ALTER TABLE ut.case_history ENABLE TRIGGER refuse_update_delete;

ALTER TABLE ut.case_history ALTER COLUMN gseq SET NOT NULL, ALTER COLUMN ghash SET NOT NULL;
CREATE UNIQUE INDEX case_history_gseq_idx ON ut.case_history (gseq);
