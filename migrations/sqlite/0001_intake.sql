-- leadpost schema, SQLite. Ids are UUIDv7 text, times RFC 3339 UTC text with six fraction digits (so text order is time order).

CREATE TABLE accounts (
    id                      TEXT PRIMARY KEY,
    name                    TEXT NOT NULL,
    owner_email             TEXT,
    owner_phone             TEXT,
    default_action_plan_id  TEXT REFERENCES action_plans (id),
    created_at              TEXT NOT NULL
);

CREATE TABLE webhooks (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    name        TEXT NOT NULL,
    preset      TEXT,
    url         TEXT NOT NULL,
    method      TEXT NOT NULL DEFAULT 'POST',
    headers     TEXT NOT NULL DEFAULT '{}',
    body        TEXT,
    secret      TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX webhooks_account ON webhooks (account_id, id);

CREATE TABLE action_plans (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX action_plans_account ON action_plans (account_id, id);

CREATE TABLE action_plan_steps (
    action_plan_id  TEXT NOT NULL REFERENCES action_plans (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    webhook_id      TEXT NOT NULL REFERENCES webhooks (id),
    delay_seconds   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (action_plan_id, position)
);


CREATE TABLE lead_sources (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    name            TEXT NOT NULL,
    action_plan_id  TEXT REFERENCES action_plans (id),
    created_at      TEXT NOT NULL
);
CREATE INDEX lead_sources_account ON lead_sources (account_id, id);

-- One namespace for the keys of accounts and lead sources. A rotated key keeps
-- working until expires_at; the current key has expires_at NULL.
CREATE TABLE web_keys (
    key             TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    lead_source_id  TEXT REFERENCES lead_sources (id),
    expires_at      TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX web_keys_owner ON web_keys (account_id, lead_source_id);

CREATE TABLE clients (
    id                      TEXT PRIMARY KEY,
    account_id              TEXT NOT NULL REFERENCES accounts (id),
    lead_source_id          TEXT REFERENCES lead_sources (id),
    submission_id           TEXT NOT NULL,
    first_name              TEXT NOT NULL,
    last_name               TEXT,
    phone                   TEXT,
    second_phone            TEXT,
    smsok                   INTEGER NOT NULL DEFAULT 1,
    email                   TEXT,
    email_key               TEXT,
    address                 TEXT,
    city                    TEXT,
    state                   TEXT,
    zip                     TEXT,
    comp_name               TEXT,
    job_title               TEXT,
    deal_size               INTEGER,
    deal_closed             INTEGER,
    age                     INTEGER,
    education               TEXT,
    gender                  TEXT,
    high_net_worth          INTEGER,
    home_owner_status       TEXT,
    household_income        INTEGER,
    length_of_residence     INTEGER,
    market_value            INTEGER,
    material_status         TEXT,
    occupation              TEXT,
    presence_of_children    INTEGER,
    presence_of_pets        INTEGER,
    anniversary_1           TEXT,
    anniversary_2           TEXT,
    facebook                TEXT,
    linkedin                TEXT,
    twitter                 TEXT,
    client_category         TEXT,
    whiteboard              TEXT,
    clients_date_last       TEXT,
    clients_date_next       TEXT,
    new_lead_notification   INTEGER NOT NULL DEFAULT 0,
    contact_type            INTEGER NOT NULL DEFAULT 1,
    assigned_user_id        TEXT,
    created_at              TEXT NOT NULL
);
-- The email is unique per account, compared in lower case (email_key).
CREATE UNIQUE INDEX clients_account_email ON clients (account_id, email_key);
CREATE INDEX clients_account ON clients (account_id, id);

CREATE TABLE tags (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (account_id, name_key)
);

CREATE TABLE client_tags (
    client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    tag_id     TEXT NOT NULL REFERENCES tags (id),
    position   INTEGER NOT NULL,
    PRIMARY KEY (client_id, tag_id)
);
CREATE INDEX client_tags_tag ON client_tags (tag_id);

CREATE TABLE custom_fields (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE client_custom_values (
    client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    field_id   TEXT NOT NULL REFERENCES custom_fields (id),
    value      TEXT NOT NULL,
    PRIMARY KEY (client_id, field_id)
);

CREATE TABLE notes (
    id          TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX notes_client ON notes (client_id, id);

CREATE TABLE notifications (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    kind        TEXT NOT NULL,
    client_id   TEXT REFERENCES clients (id) ON DELETE SET NULL,
    message     TEXT NOT NULL,
    read        INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
);
CREATE INDEX notifications_account ON notifications (account_id, id);

-- Every post, accepted or rejected, with its raw fields.
CREATE TABLE submissions (
    id              TEXT PRIMARY KEY,
    account_id      TEXT REFERENCES accounts (id),
    lead_source_id  TEXT REFERENCES lead_sources (id),
    client_id       TEXT,
    outcome         TEXT NOT NULL,
    error_code      TEXT,
    message         TEXT,
    replay_of       TEXT,
    fields          TEXT NOT NULL,
    remote_ip       TEXT,
    user_agent      TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX submissions_account ON submissions (account_id, id);
CREATE INDEX submissions_all ON submissions (id);

-- Accepted posts by fingerprint, to answer a double submit with the first answer.
CREATE TABLE replay_guard (
    account_id     TEXT NOT NULL,
    fingerprint    TEXT NOT NULL,
    submission_id  TEXT NOT NULL,
    client_id      TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (account_id, fingerprint)
);

-- The durable queue: webhook, email and TEXT jobs, written with the client.
CREATE TABLE jobs (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    client_id     TEXT REFERENCES clients (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    webhook_id    TEXT REFERENCES webhooks (id),
    state         TEXT NOT NULL,
    due_at        TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    lease_until   TEXT,
    message_id    TEXT NOT NULL,
    last_error    TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX jobs_due ON jobs (due_at) WHERE state IN ('queued', 'retrying', 'running');
CREATE INDEX jobs_account ON jobs (account_id, id);
CREATE INDEX jobs_client ON jobs (client_id);

CREATE TABLE job_attempts (
    id             TEXT PRIMARY KEY,
    job_id         TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempted_at   TEXT NOT NULL,
    status_code    INTEGER,
    latency_ms     INTEGER NOT NULL,
    response       TEXT,
    error          TEXT,
    request_id     TEXT
);
CREATE INDEX job_attempts_job ON job_attempts (job_id, id);
