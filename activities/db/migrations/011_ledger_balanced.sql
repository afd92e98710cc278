-- Every ledger posting sums to zero, enforced by PostgreSQL itself rather than only by the code
-- that posts. The check is deferred to commit: a posting's entries are inserted one by one, so the
-- sum is only meaningful once all of them are in. Grouped per merchant, mode, network and
-- currency: a posting that balances only by mixing coins is as wrong as one that does not balance.
CREATE OR REPLACE FUNCTION ledger_posting_is_balanced() RETURNS trigger AS $$
DECLARE
  unbalanced record;
BEGIN
  SELECT merchant_id, livemode, network, currency, sum(amount) AS total
    INTO unbalanced
    FROM ledger_entries
   WHERE txn_id = NEW.txn_id
   GROUP BY merchant_id, livemode, network, currency
  HAVING sum(amount) <> 0
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger posting % is unbalanced by % % on % for merchant %',
      NEW.txn_id, unbalanced.total, unbalanced.currency, unbalanced.network, unbalanced.merchant_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_posting_balanced';
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledger_posting_balanced
  AFTER INSERT ON ledger_entries
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION ledger_posting_is_balanced();
