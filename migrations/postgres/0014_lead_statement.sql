-- A valid lead in one statement (DESIGN.md §13): everything `store_lead` in
-- src/store/submissions.rs does in a transaction of a dozen statements, done by
-- the server in one call, so a lead costs one round trip. The service builds the
-- rows (client, submission, notices) in Rust and passes them as one JSON value,
-- whose shape src/store/lead_statement.rs documents; the function adds what
-- only the database knows (the double-submit guard, the existing client of an
-- email, the action plan's steps, the autoresponder's memory).
--
-- A new client whose email the account already has rolls back everything but
-- the Duplicate Record notice and the refused log row, like the savepoint of the
-- generic path: the inner block's exception handler is that savepoint.

-- A time-ordered id (UUID version 7) whose 12 bits after the millisecond count
-- `seq`, so ids made in one call sort in the order they were made.
CREATE FUNCTION leadpost_uuid_v7(seq integer) RETURNS uuid
LANGUAGE sql VOLATILE AS $$
  SELECT encode(
    substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
    || set_byte(set_byte('\x0000'::bytea, 0, 112 + ((seq >> 8) & 15)), 1, seq & 255)
    || substring(uuid_send(gen_random_uuid()) FROM 9),
    'hex')::uuid
$$;

-- One log row from the lead's `submission` JSON, with what the outcome sets.
-- `log_code` and `log_message` NULL keep the posted row's own.
CREATE FUNCTION leadpost_log_submission(sub jsonb, log_client uuid, log_outcome text,
  log_code text, log_message text, log_replay_of uuid, log_request_id text) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO submissions (id, account_id, lead_source_id, client_id, outcome, error_code,
    message, replay_of, fields, remote_ip, user_agent, created_at, spam_reasons, channel,
    raw_message, request_id)
  SELECT s.id, s.account_id, s.lead_source_id, log_client, log_outcome,
    COALESCE(log_code, s.error_code), COALESCE(log_message, s.message), log_replay_of, s.fields,
    s.remote_ip, s.user_agent, s.created_at, s.spam_reasons, s.channel, s.raw_message,
    log_request_id
  FROM jsonb_populate_record(NULL::submissions, sub) s
$$;

CREATE FUNCTION leadpost_accept_lead(lead jsonb)
RETURNS TABLE (lead_outcome text, lead_client uuid, first_submission uuid)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  acc uuid := (lead->>'account_id')::uuid;
  now_at timestamptz := (lead->>'now')::timestamptz;
  cid uuid := (lead->'client'->>'id')::uuid;
  sub jsonb := lead->'submission';
  req text := lead->>'request_id';
  inserted uuid;
  seq integer := 0;
  first_row record;
  existing uuid;
BEGIN
  BEGIN
    -- The double-submit guard first: an identical post accepted within the
    -- window (or being accepted right now) makes this one a replay.
    INSERT INTO replay_guard AS g (account_id, fingerprint, submission_id, client_id, created_at)
    VALUES (acc, lead->>'fingerprint', (sub->>'id')::uuid, cid, now_at)
    ON CONFLICT (account_id, fingerprint) DO UPDATE SET
      submission_id = excluded.submission_id, client_id = excluded.client_id,
      created_at = excluded.created_at
    WHERE g.created_at < (lead->>'cutoff')::timestamptz
    RETURNING g.submission_id INTO inserted;
    IF inserted IS NULL THEN
      SELECT g.submission_id, g.client_id INTO first_row FROM replay_guard g
      WHERE g.account_id = acc AND g.fingerprint = lead->>'fingerprint';
      PERFORM leadpost_log_submission(sub, first_row.client_id, 'accepted', NULL, NULL,
        first_row.submission_id, NULL);
      RETURN QUERY SELECT 'replay'::text, first_row.client_id, first_row.submission_id;
      RETURN;
    END IF;

    INSERT INTO clients SELECT * FROM jsonb_populate_record(NULL::clients, lead->'client')
    ON CONFLICT (account_id, email_key) DO NOTHING RETURNING id INTO inserted;
    IF inserted IS NULL THEN
      RAISE EXCEPTION 'duplicate client' USING ERRCODE = 'LP001';
    END IF;

    INSERT INTO tags (id, account_id, name, name_key, created_at)
    SELECT t.id, acc, t.name, t.name_key, now_at
    FROM jsonb_to_recordset(lead->'tags') AS t(id uuid, name text, name_key text, position integer)
    ON CONFLICT (account_id, name_key) DO NOTHING;
    INSERT INTO client_tags (client_id, tag_id, position)
    SELECT cid, k.id, t.position
    FROM jsonb_to_recordset(lead->'tags') AS t(id uuid, name text, name_key text, position integer)
    JOIN tags k ON k.account_id = acc AND k.name_key = t.name_key;

    INSERT INTO custom_fields (id, account_id, name, created_at)
    SELECT c.id, acc, c.name, now_at
    FROM jsonb_to_recordset(lead->'custom') AS c(id uuid, name text, value text)
    ON CONFLICT (account_id, name) DO NOTHING;
    INSERT INTO client_custom_values (client_id, field_id, value)
    SELECT cid, f.id, c.value
    FROM jsonb_to_recordset(lead->'custom') AS c(id uuid, name text, value text)
    JOIN custom_fields f ON f.account_id = acc AND f.name = c.name;

    INSERT INTO notes (id, client_id, body, created_at)
    SELECT (lead->'note'->>'id')::uuid, cid, lead->'note'->>'body', now_at
    WHERE jsonb_typeof(lead->'note') = 'object';

    -- The action plan's webhooks, in step order, then the owner's notices.
    INSERT INTO jobs (id, account_id, client_id, kind, webhook_id, state, due_at, attempts,
      message_id, last_error, created_at, updated_at, request_id)
    SELECT leadpost_uuid_v7(p.turn), acc, cid, 'webhook', p.webhook_id, 'queued',
      now_at + p.delay_seconds * interval '1 second', 0,
      'msg_' || replace(leadpost_uuid_v7(0)::text, '-', ''), NULL, now_at, now_at, req
    FROM (SELECT webhook_id, delay_seconds,
            (row_number() OVER (ORDER BY position))::integer - 1 AS turn
          FROM action_plan_steps WHERE action_plan_id = (lead->>'plan_id')::uuid) p
    ORDER BY p.turn;
    GET DIAGNOSTICS seq = ROW_COUNT;

    INSERT INTO notifications (id, account_id, kind, client_id, message, read, created_at)
    SELECT (lead->'notification'->>'id')::uuid, acc, 'new_lead', cid,
      lead->'notification'->>'message', 0, now_at
    WHERE jsonb_typeof(lead->'notification') = 'object';

    INSERT INTO jobs (id, account_id, client_id, kind, webhook_id, state, due_at, attempts,
      message_id, last_error, created_at, updated_at, request_id)
    SELECT leadpost_uuid_v7(seq + (j.n)::integer - 1), acc, cid, j.kind, NULL, j.state, now_at, 0,
      'msg_' || replace(leadpost_uuid_v7(0)::text, '-', ''), j.last_error, now_at, now_at, req
    FROM ROWS FROM (jsonb_to_recordset(lead->'jobs') AS (kind text, state text, last_error text))
      WITH ORDINALITY AS j(kind, state, last_error, n)
    ORDER BY j.n;
    seq := seq + COALESCE(jsonb_array_length(lead->'jobs'), 0);

    -- The autoresponder: at most one reply per address and window.
    IF jsonb_typeof(lead->'autoreply') = 'object' THEN
      inserted := NULL;
      INSERT INTO autoreply_memory AS m (account_id, address_hash, sent_at)
      VALUES (acc, lead->'autoreply'->>'address_hash', now_at)
      ON CONFLICT (account_id, address_hash) DO UPDATE SET sent_at = excluded.sent_at
      WHERE m.sent_at < (lead->'autoreply'->>'cutoff')::timestamptz
      RETURNING m.account_id INTO inserted;
      INSERT INTO jobs (id, account_id, client_id, kind, webhook_id, state, due_at, attempts,
        message_id, last_error, created_at, updated_at, request_id)
      VALUES (leadpost_uuid_v7(seq), acc, cid, 'autoreply', NULL,
        CASE WHEN inserted IS NULL THEN 'skipped' ELSE 'queued' END, now_at, 0,
        'msg_' || replace(leadpost_uuid_v7(0)::text, '-', ''),
        CASE WHEN inserted IS NULL THEN lead->'autoreply'->>'suppressed' END,
        now_at, now_at, req);
    END IF;

    PERFORM leadpost_log_submission(sub, cid, 'accepted', NULL, NULL, NULL, req);

    RETURN QUERY SELECT 'created'::text, cid, NULL::uuid;
  EXCEPTION WHEN SQLSTATE 'LP001' THEN
    -- The account has this email: the Duplicate Record notice and the refused log row.
    SELECT c.id INTO existing FROM clients c
    WHERE c.account_id = acc AND c.email_key = lead->'client'->>'email_key';
    IF existing IS NULL THEN
      RAISE EXCEPTION 'the client with this email is gone';
    END IF;
    INSERT INTO notifications (id, account_id, kind, client_id, message, read, created_at)
    VALUES ((lead->'duplicate'->>'id')::uuid, acc, 'duplicate', existing,
      lead->'duplicate'->>'message', 0, now_at);
    PERFORM leadpost_log_submission(sub, NULL, 'rejected', 'ct103',
      'Duplicate Client creation attempted', NULL, NULL);
    RETURN QUERY SELECT 'duplicate'::text, existing, NULL::uuid;
  END;
END
$$;
