-- Leads committed together on PostgreSQL (DESIGN.md §13, src/store/lead_groups.rs):
-- the valid leads queued while the service's lead writers were busy, written by
-- one call in one transaction, so the group costs one round trip and one commit
-- instead of one of each per lead. Each lead runs in its own subtransaction (the
-- exception block): a lead that fails is rolled back alone and comes back with
-- its SQLSTATE and message, and the others commit as usual.
CREATE FUNCTION leadpost_accept_leads(leads jsonb)
RETURNS TABLE (lead_index integer, lead_outcome text, lead_client uuid, first_submission uuid,
  error_state text, error_message text)
LANGUAGE plpgsql AS $$
DECLARE
  done record;
BEGIN
  FOR i IN 0 .. jsonb_array_length(leads) - 1 LOOP
    BEGIN
      SELECT a.lead_outcome AS outcome, a.lead_client AS client, a.first_submission AS first
        INTO done FROM leadpost_accept_lead(leads -> i) a;
      RETURN QUERY SELECT i, done.outcome, done.client, done.first, NULL::text, NULL::text;
    EXCEPTION WHEN OTHERS THEN
      RETURN QUERY SELECT i, NULL::text, NULL::uuid, NULL::uuid, SQLSTATE::text, SQLERRM::text;
    END;
  END LOOP;
END
$$;
