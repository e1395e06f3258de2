-- The fair claim (src/store/jobs.rs, claim_statement) walks the accounts with
-- pending jobs of a kind and each account's oldest due jobs by this index, one
-- seek at a time, so a claim costs about the same with ten jobs queued or a
-- million. It replaces the index on due_at alone, which the planner could prefer
-- for "an account's oldest due job" and then walk every account's jobs.
DROP INDEX jobs_due;
CREATE INDEX jobs_claim ON jobs (kind, account_id, due_at, id)
    WHERE state IN ('queued', 'retrying', 'running');
-- The jobs running now, counted per receiver URL by the same claim.
CREATE INDEX jobs_running ON jobs (lease_until) WHERE state = 'running';
