-- Wake the delivery workers of every `serve` process when a job due now is queued
-- (DESIGN §13): each process LISTENs on `leadpost_jobs` and turns a notification
-- into a claim round instead of waiting for its poll. The trigger fires once per
-- INSERT statement, not per row, and PostgreSQL delivers NOTIFY at commit and folds
-- identical notifications of one transaction into one: a lead with several jobs,
-- or a bulk insert, wakes each listener once, with no extra round trip for the
-- lead. Nothing is sent for a rolled-back lead or for jobs due later (retries are
-- UPDATEs and wait for their time). "Due now" is read on the clock at the end of
-- the statement, which is later than the `due_at` the service computed before it.
CREATE FUNCTION leadpost_jobs_wakeup() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM queued_jobs WHERE state = 'queued' AND due_at <= clock_timestamp()
    ) THEN
        PERFORM pg_notify('leadpost_jobs', '');
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER jobs_wakeup
    AFTER INSERT ON jobs
    REFERENCING NEW TABLE AS queued_jobs
    FOR EACH STATEMENT
    EXECUTE FUNCTION leadpost_jobs_wakeup();
