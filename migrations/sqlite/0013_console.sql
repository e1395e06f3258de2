-- The console: the account a session is looking at, and when each person last opened each
-- account's inbox (to mark the leads that are new since).
ALTER TABLE sessions ADD COLUMN account_id TEXT;

CREATE TABLE console_visits (
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    visited_at  TEXT NOT NULL,
    PRIMARY KEY (user_id, account_id)
);

-- The `x-request-id` of the post that made a lead, shown on the lead's console page.
ALTER TABLE submissions ADD COLUMN request_id TEXT;
