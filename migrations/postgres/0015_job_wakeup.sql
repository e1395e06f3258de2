-- Wake the delivery workers of every `serve` process when a job due now is queued
-- (DESIGN §13): each process LISTENs on `leadpost_jobs` and turns a notification
-- into a claim round instead of waiting for its poll. PostgreSQL delivers NOTIFY at
-- commit and folds identical notifications of one transaction into one: a lead
-- with several jobs, or a bulk insert, wakes each listener once, with no extra
-- round trip for the lead. Nothing is sent for a rolled-back lead or for jobs due
-- later (retries are UPDATEs and wait for their time). "Due now" is read on the
-- clock as the row is inserted, which is later than the `due_at` the service
-- computed before it.
--
-- A row trigger with a WHEN clause rather than a statement trigger over a
-- transition table: an INSERT of no rows (a lead without a plan) or of jobs due
-- later fires nothing at all, and there is no query to plan per statement.
CREATE FUNCTION leadpost_jobs_wakeup() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('leadpost_jobs', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER jobs_wakeup
    AFTER INSERT ON jobs
    FOR EACH ROW
    WHEN (NEW.state = 'queued' AND NEW.due_at <= clock_timestamp())
    EXECUTE FUNCTION leadpost_jobs_wakeup();
