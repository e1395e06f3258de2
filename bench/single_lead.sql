-- pgbench: the database's own ceiling for one lead. The same rows the service
-- writes for the wrk body of bench/leads.lua, in one transaction: the replay
-- guard, the client, its two tag links, its custom value, its note and its
-- submission row (the tags and the custom field exist after the wrk run on the
-- same database). Ids are derived from one random number per transaction.
-- Run with -M prepared, as the service prepares its statements too.
\set n random(1, 1000000000000)
BEGIN;
INSERT INTO replay_guard (account_id, fingerprint, submission_id, client_id, created_at)
  VALUES (:account::uuid, md5('f' || :n), md5('s' || :n)::uuid, md5('c' || :n)::uuid, now());
INSERT INTO clients (id, account_id, submission_id, first_name, last_name, phone, smsok, email,
  email_key, address, city, state, zip, new_lead_notification, contact_type, created_at)
  VALUES (md5('c' || :n)::uuid, :account::uuid, md5('s' || :n)::uuid, 'Ann', 'Lee', '8015551234', 1,
  'pg' || :n || '@example.com', 'pg' || :n || '@example.com', '12 Main St', 'Provo', 'UT',
  '84601', 0, 1, now());
INSERT INTO client_tags (client_id, tag_id, position)
  SELECT md5('c' || :n)::uuid, id, 0 FROM tags WHERE account_id = :account::uuid AND name_key = 'web';
INSERT INTO client_tags (client_id, tag_id, position)
  SELECT md5('c' || :n)::uuid, id, 1 FROM tags WHERE account_id = :account::uuid AND name_key = 'roof';
INSERT INTO client_custom_values (client_id, field_id, value)
  SELECT md5('c' || :n)::uuid, id, 'Dark' FROM custom_fields
  WHERE account_id = :account::uuid AND name = 'Favorite Chocolate';
INSERT INTO notes (id, client_id, body, created_at)
  VALUES (md5('n' || :n)::uuid, md5('c' || :n)::uuid, 'Roof leaks over the garage', now());
INSERT INTO submissions (id, account_id, client_id, outcome, fields, created_at)
  VALUES (md5('s' || :n)::uuid, :account::uuid, md5('c' || :n)::uuid, 'accepted',
  '[["web_key","k"],["firstName","Ann"],["lastName","Lee"]]', now());
COMMIT;
