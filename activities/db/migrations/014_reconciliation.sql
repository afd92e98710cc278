-- The latest reconciliation of each merchant's addresses per network and currency: what the chain
-- holds at `block_number` against what the ledger says it should. /metrics reads it, so every
-- worker reports the same numbers.
CREATE TABLE reconciliation_balances (
  network text NOT NULL,
  merchant_id text NOT NULL REFERENCES merchants(id),
  currency text NOT NULL,
  block_number bigint NOT NULL,
  on_chain numeric(78,0) NOT NULL,
  expected numeric(78,0) NOT NULL,
  mismatch boolean NOT NULL,
  checked_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (network, merchant_id, currency)
);

-- Events for the operator (not for merchants: they are never sent as webhooks). The id names the
-- run that raised it, so a retried activity raises nothing twice.
CREATE TABLE operator_events (
  id text PRIMARY KEY,
  type text NOT NULL,
  data jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX operator_events_recent ON operator_events (type, created_at DESC);
