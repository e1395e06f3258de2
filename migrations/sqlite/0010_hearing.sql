-- Hearing back: an account's display name, website, lenient phones and new-lead notification
-- default; a lead source's autoresponder (JSON {subject, body}; NULL: off); and the autoresponder's
-- memory of the addresses it answered (a SHA-256 of the lower-case address, never the address).
ALTER TABLE accounts ADD COLUMN display_name TEXT;
ALTER TABLE accounts ADD COLUMN website_url TEXT;
ALTER TABLE accounts ADD COLUMN lenient_phones INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN new_lead_notification_default INTEGER NOT NULL DEFAULT 0;
ALTER TABLE lead_sources ADD COLUMN autoresponder TEXT;
CREATE TABLE autoreply_memory (
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    address_hash  TEXT NOT NULL,
    sent_at       TEXT NOT NULL,
    PRIMARY KEY (account_id, address_hash)
);
