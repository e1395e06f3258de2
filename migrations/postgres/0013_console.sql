-- The console: the account a session is looking at, and when each person last opened each
-- account's inbox (to mark the leads that are new since).
ALTER TABLE sessions ADD COLUMN account_id uuid;

CREATE TABLE console_visits (
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    account_id  uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    visited_at  timestamptz NOT NULL,
    PRIMARY KEY (user_id, account_id)
);

-- The `x-request-id` of the post that made a lead, shown on the lead's console page.
ALTER TABLE submissions ADD COLUMN request_id text;
