-- Inbound email and lead vendors: each lead source's inbound token (lower-case letters and digits,
-- 128 random bits for the sources that exist already), the channel and raw message of each
-- submission and when it was last reparsed, the parsers of each lead source (the owner's spec as
-- JSON), and the vendor lead ids each account has taken (a vendor's repeat is a double submit).
ALTER TABLE lead_sources ADD COLUMN inbound_token text;
UPDATE lead_sources SET inbound_token = md5(gen_random_uuid()::text || gen_random_uuid()::text)
    WHERE inbound_token IS NULL;
CREATE UNIQUE INDEX lead_sources_inbound_token ON lead_sources (inbound_token);
ALTER TABLE submissions ADD COLUMN channel text NOT NULL DEFAULT 'form';
ALTER TABLE submissions ADD COLUMN raw_message text;
ALTER TABLE submissions ADD COLUMN reparsed_at timestamptz;

CREATE TABLE parsers (
    id              uuid PRIMARY KEY,
    account_id      uuid NOT NULL REFERENCES accounts (id),
    lead_source_id  uuid NOT NULL REFERENCES lead_sources (id),
    position        bigint NOT NULL,
    spec            text NOT NULL,
    created_at      timestamptz NOT NULL
);
CREATE INDEX parsers_source ON parsers (lead_source_id, position, created_at);

CREATE TABLE vendor_leads (
    account_id      uuid NOT NULL REFERENCES accounts (id),
    vendor          text NOT NULL,
    lead_id         text NOT NULL,
    client_id       uuid NOT NULL,
    submission_id   uuid NOT NULL,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (account_id, vendor, lead_id)
);
CREATE INDEX vendor_leads_client ON vendor_leads (client_id);
