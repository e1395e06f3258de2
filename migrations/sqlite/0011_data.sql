-- Keeping, finding and erasing data (SQLite): retention per account (the spam retention lives in
-- the spam settings), when a submission row lost its raw fields to retention or erasure, an
-- index for the purge's time scans, and the audit log of every successful write.
ALTER TABLE accounts ADD COLUMN submission_log_days INTEGER NOT NULL DEFAULT 90;
ALTER TABLE accounts ADD COLUMN lead_days INTEGER;
ALTER TABLE submissions ADD COLUMN stripped_at TEXT;
-- Partial indexes keep each purge batch from walking the rows earlier batches already did.
CREATE INDEX submissions_unstripped_time ON submissions (account_id, created_at) WHERE stripped_at IS NULL;
CREATE INDEX submissions_spam_time ON submissions (account_id, created_at) WHERE outcome = 'spam';
CREATE INDEX clients_account_time ON clients (account_id, created_at);

CREATE TABLE audit_log (
    id           TEXT PRIMARY KEY,
    account_id   TEXT REFERENCES accounts (id) ON DELETE CASCADE,
    at           TEXT NOT NULL,
    actor_kind   TEXT NOT NULL,
    actor_id     TEXT,
    action       TEXT NOT NULL,
    object_type  TEXT NOT NULL,
    object_id    TEXT,
    ip           TEXT
);
CREATE INDEX audit_log_account ON audit_log (account_id, id);
