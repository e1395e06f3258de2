-- Hearing back: an account's display name, website, lenient phones and new-lead notification
-- default; a lead source's autoresponder (JSON {subject, body}; NULL: off); and the autoresponder's
-- memory of the addresses it answered (a SHA-256 of the lower-case address, never the address).
ALTER TABLE accounts ADD COLUMN display_name text;
ALTER TABLE accounts ADD COLUMN website_url text;
ALTER TABLE accounts ADD COLUMN lenient_phones smallint NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN new_lead_notification_default smallint NOT NULL DEFAULT 0;
ALTER TABLE lead_sources ADD COLUMN autoresponder text;
CREATE TABLE autoreply_memory (
    account_id    uuid NOT NULL REFERENCES accounts (id),
    address_hash  text NOT NULL,
    sent_at       timestamptz NOT NULL,
    PRIMARY KEY (account_id, address_hash)
);
