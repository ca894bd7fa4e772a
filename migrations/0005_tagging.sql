-- Tagging rules' logs are read and trimmed per rule (newest first); the legacy schema has no index there.
CREATE INDEX IF NOT EXISTS ix_rule_execution_log_rule ON rule_execution_log (rule_id, id);
