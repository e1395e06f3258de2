-- pgbench: the database's own ceiling for one lead, the same rows the service
-- writes for the wrk body (replay guard, client, 2 tags, custom value, note,
-- submission) in one transaction, with no HTTP or application in between.
\set n random(1, 1000000000)
BEGIN;
INSERT INTO replay_guard (account_id, fingerprint, submission_id, client_id, created_at)
  VALUES (':account', md5(random()::text || :n), gen_random_uuid(), gen_random_uuid(), now());
INSERT INTO clients (id, account_id, submission_id, first_name, last_name, phone, smsok, email, email_key,
  address, city, state, zip, new_lead_notification, contact_type, created_at)
  VALUES (gen_random_uuid(), ':account', gen_random_uuid(), 'Ann', 'Lee', '8015551234', 1,
  'pg' || :n || '@example.com', 'pg' || :n || md5(random()::text) || '@example.com',
  '12 Main St', 'Provo', 'UT', '84601', 0, 1, now());
INSERT INTO submissions (id, account_id, outcome, fields, created_at)
  VALUES (gen_random_uuid(), ':account', 'accepted', '[["name","Ann"]]', now());
COMMIT;
