-- Posts refused for the per-key rate limit are logged as one row per web_key owner
-- and minute (named by summary_key) counting them in `repeats`.
ALTER TABLE submissions ADD COLUMN repeats integer NOT NULL DEFAULT 1;
ALTER TABLE submissions ADD COLUMN summary_key text;
CREATE UNIQUE INDEX submissions_summary ON submissions (summary_key);
