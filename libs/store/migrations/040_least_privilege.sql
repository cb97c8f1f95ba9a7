-- Least privilege (issue 13 §4).
-- 1. A token role for warranty teams: they read journeys, recalls and warranty; producers (capture
--    clients) read none of them. docs/access.md lists who may read what.
ALTER TABLE ut.api_tokens DROP CONSTRAINT IF EXISTS api_tokens_role_check;
ALTER TABLE ut.api_tokens ADD CONSTRAINT api_tokens_role_check
  CHECK (role IN ('producer', 'recall_coordinator', 'quality', 'warranty', 'admin', 'reader'));

-- 2. No CONNECT for PUBLIC on this database: the analyst group role is cluster-wide, so without this
--    an analyst of one unitrail database could connect to every other one. `unitrail db
--    grant-analyst` grants CONNECT on its own database to each login; the owner keeps its own.
DO $$
BEGIN
  EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM PUBLIC', current_database());
END $$;
