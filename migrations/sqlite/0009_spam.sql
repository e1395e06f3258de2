-- Spam: per-account settings (JSON; NULL means the defaults), a lead source's own allowed origins
-- and require_origin (NULL: the account's apply), and on each submission the spam reasons and what a
-- release did.
ALTER TABLE accounts ADD COLUMN spam_settings TEXT;
ALTER TABLE lead_sources ADD COLUMN allowed_origins TEXT;
ALTER TABLE lead_sources ADD COLUMN require_origin INTEGER;
ALTER TABLE submissions ADD COLUMN spam_reasons TEXT;
ALTER TABLE submissions ADD COLUMN released_client_id TEXT;
ALTER TABLE submissions ADD COLUMN released_at TEXT;
ALTER TABLE submissions ADD COLUMN release_error_code TEXT;
