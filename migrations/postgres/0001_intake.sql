-- leadpost schema, PostgreSQL. Ids are UUIDv7 made by the service (time ordered).

CREATE TABLE accounts (
    id                      uuid PRIMARY KEY,
    name                    text NOT NULL,
    owner_email             text,
    owner_phone             text,
    default_action_plan_id  uuid,
    created_at              timestamptz NOT NULL
);

CREATE TABLE webhooks (
    id          uuid PRIMARY KEY,
    account_id  uuid NOT NULL REFERENCES accounts (id),
    name        text NOT NULL,
    preset      text,
    url         text NOT NULL,
    method      text NOT NULL DEFAULT 'POST',
    headers     jsonb NOT NULL DEFAULT '{}',
    body        jsonb,
    secret      text,
    created_at  timestamptz NOT NULL
);
CREATE INDEX webhooks_account ON webhooks (account_id, id);

CREATE TABLE action_plans (
    id          uuid PRIMARY KEY,
    account_id  uuid NOT NULL REFERENCES accounts (id),
    name        text NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX action_plans_account ON action_plans (account_id, id);

CREATE TABLE action_plan_steps (
    action_plan_id  uuid NOT NULL REFERENCES action_plans (id) ON DELETE CASCADE,
    position        integer NOT NULL,
    webhook_id      uuid NOT NULL REFERENCES webhooks (id),
    delay_seconds   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (action_plan_id, position)
);

ALTER TABLE accounts ADD CONSTRAINT accounts_default_plan
    FOREIGN KEY (default_action_plan_id) REFERENCES action_plans (id);

CREATE TABLE lead_sources (
    id              uuid PRIMARY KEY,
    account_id      uuid NOT NULL REFERENCES accounts (id),
    name            text NOT NULL,
    action_plan_id  uuid REFERENCES action_plans (id),
    created_at      timestamptz NOT NULL
);
CREATE INDEX lead_sources_account ON lead_sources (account_id, id);

-- One namespace for the keys of accounts and lead sources. A rotated key keeps
-- working until expires_at; the current key has expires_at NULL.
CREATE TABLE web_keys (
    key             text PRIMARY KEY,
    account_id      uuid NOT NULL REFERENCES accounts (id),
    lead_source_id  uuid REFERENCES lead_sources (id),
    expires_at      timestamptz,
    created_at      timestamptz NOT NULL
);
CREATE INDEX web_keys_owner ON web_keys (account_id, lead_source_id);

CREATE TABLE clients (
    id                      uuid PRIMARY KEY,
    account_id              uuid NOT NULL REFERENCES accounts (id),
    lead_source_id          uuid REFERENCES lead_sources (id),
    submission_id           uuid NOT NULL,
    first_name              text NOT NULL,
    last_name               text,
    phone                   text,
    second_phone            text,
    smsok                   smallint NOT NULL DEFAULT 1,
    email                   text,
    email_key               text,
    address                 text,
    city                    text,
    state                   text,
    zip                     text,
    comp_name               text,
    job_title               text,
    deal_size               bigint,
    deal_closed             smallint,
    age                     bigint,
    education               text,
    gender                  text,
    high_net_worth          bigint,
    home_owner_status       text,
    household_income        bigint,
    length_of_residence     bigint,
    market_value            bigint,
    material_status         text,
    occupation              text,
    presence_of_children    smallint,
    presence_of_pets        smallint,
    anniversary_1           date,
    anniversary_2           date,
    facebook                text,
    linkedin                text,
    twitter                 text,
    client_category         text,
    whiteboard              text,
    clients_date_last       date,
    clients_date_next       date,
    new_lead_notification   smallint NOT NULL DEFAULT 0,
    contact_type            smallint NOT NULL DEFAULT 1,
    assigned_user_id        text,
    created_at              timestamptz NOT NULL
);
-- The email is unique per account, compared in lower case (email_key).
CREATE UNIQUE INDEX clients_account_email ON clients (account_id, email_key);
CREATE INDEX clients_account ON clients (account_id, id);

CREATE TABLE tags (
    id          uuid PRIMARY KEY,
    account_id  uuid NOT NULL REFERENCES accounts (id),
    name        text NOT NULL,
    name_key    text NOT NULL,
    created_at  timestamptz NOT NULL,
    UNIQUE (account_id, name_key)
);

CREATE TABLE client_tags (
    client_id  uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    tag_id     uuid NOT NULL REFERENCES tags (id),
    position   integer NOT NULL,
    PRIMARY KEY (client_id, tag_id)
);
CREATE INDEX client_tags_tag ON client_tags (tag_id);

CREATE TABLE custom_fields (
    id          uuid PRIMARY KEY,
    account_id  uuid NOT NULL REFERENCES accounts (id),
    name        text NOT NULL,
    created_at  timestamptz NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE client_custom_values (
    client_id  uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    field_id   uuid NOT NULL REFERENCES custom_fields (id),
    value      text NOT NULL,
    PRIMARY KEY (client_id, field_id)
);

CREATE TABLE notes (
    id          uuid PRIMARY KEY,
    client_id   uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    body        text NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX notes_client ON notes (client_id, id);

CREATE TABLE notifications (
    id          uuid PRIMARY KEY,
    account_id  uuid NOT NULL REFERENCES accounts (id),
    kind        text NOT NULL,
    client_id   uuid REFERENCES clients (id) ON DELETE SET NULL,
    message     text NOT NULL,
    read        smallint NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL
);
CREATE INDEX notifications_account ON notifications (account_id, id);

-- Every post, accepted or rejected, with its raw fields.
CREATE TABLE submissions (
    id              uuid PRIMARY KEY,
    account_id      uuid REFERENCES accounts (id),
    lead_source_id  uuid REFERENCES lead_sources (id),
    client_id       uuid,
    outcome         text NOT NULL,
    error_code      text,
    message         text,
    replay_of       uuid,
    fields          jsonb NOT NULL,
    remote_ip       text,
    user_agent      text,
    created_at      timestamptz NOT NULL
);
CREATE INDEX submissions_account ON submissions (account_id, id);
CREATE INDEX submissions_all ON submissions (id);

-- Accepted posts by fingerprint, to answer a double submit with the first answer.
CREATE TABLE replay_guard (
    account_id     uuid NOT NULL,
    fingerprint    text NOT NULL,
    submission_id  uuid NOT NULL,
    client_id      uuid NOT NULL,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (account_id, fingerprint)
);

-- The durable queue: webhook, email and text jobs, written with the client.
CREATE TABLE jobs (
    id            uuid PRIMARY KEY,
    account_id    uuid NOT NULL REFERENCES accounts (id),
    client_id     uuid REFERENCES clients (id) ON DELETE CASCADE,
    kind          text NOT NULL,
    webhook_id    uuid REFERENCES webhooks (id),
    state         text NOT NULL,
    due_at        timestamptz NOT NULL,
    attempts      integer NOT NULL DEFAULT 0,
    lease_until   timestamptz,
    message_id    text NOT NULL,
    last_error    text,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX jobs_due ON jobs (due_at) WHERE state IN ('queued', 'retrying', 'running');
CREATE INDEX jobs_account ON jobs (account_id, id);
CREATE INDEX jobs_client ON jobs (client_id);

CREATE TABLE job_attempts (
    id             uuid PRIMARY KEY,
    job_id         uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempted_at   timestamptz NOT NULL,
    status_code    integer,
    latency_ms     bigint NOT NULL,
    response       text,
    error          text,
    request_id     text
);
CREATE INDEX job_attempts_job ON job_attempts (job_id, id);
