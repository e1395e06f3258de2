-- The request id of the post that made a job, copied into its attempt log.
ALTER TABLE jobs ADD COLUMN request_id TEXT;
