-- Inbound email and lead vendors: each lead source's inbound token (lower-case letters and digits,
-- 128 random bits for the sources that exist already), the channel and raw message of each
-- submission and when it was last reparsed, the parsers of each lead source (the owner's spec as
-- JSON), and the vendor lead ids each account has taken (a vendor's repeat is a double submit).
ALTER TABLE lead_sources ADD COLUMN inbound_token TEXT;
UPDATE lead_sources SET inbound_token = lower(hex(randomblob(16))) WHERE inbound_token IS NULL;
CREATE UNIQUE INDEX lead_sources_inbound_token ON lead_sources (inbound_token);
ALTER TABLE submissions ADD COLUMN channel TEXT NOT NULL DEFAULT 'form';
ALTER TABLE submissions ADD COLUMN raw_message TEXT;
ALTER TABLE submissions ADD COLUMN reparsed_at TEXT;

CREATE TABLE parsers (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    lead_source_id  TEXT NOT NULL REFERENCES lead_sources (id),
    position        INTEGER NOT NULL,
    spec            TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX parsers_source ON parsers (lead_source_id, position, created_at);

CREATE TABLE vendor_leads (
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    vendor          TEXT NOT NULL,
    lead_id         TEXT NOT NULL,
    client_id       TEXT NOT NULL,
    submission_id   TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (account_id, vendor, lead_id)
);
CREATE INDEX vendor_leads_client ON vendor_leads (client_id);
