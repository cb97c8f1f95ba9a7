-- The console's read-only role: a viewer sees every view and no action. The list keeps the
-- quality team's role (exception cases) and the partners' reader (EPCIS query) so every role stays.
ALTER TABLE ut.api_tokens DROP CONSTRAINT IF EXISTS api_tokens_role_check;
ALTER TABLE ut.api_tokens ADD CONSTRAINT api_tokens_role_check
  CHECK (role IN ('producer', 'recall_coordinator', 'quality', 'warranty', 'admin', 'reader', 'viewer'));
