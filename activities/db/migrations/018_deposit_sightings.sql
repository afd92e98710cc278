-- Transfers to invoice addresses as the chain watcher saw them, written before its cursor moves
-- past their block. An invoice about to expire compares them with the deposits it has heard of:
-- the deposit workflow's update can lag the cursor (a busy worker), and a payment mined in time
-- must never lose that race to the expiry.
CREATE TABLE deposit_sightings (
  deposit_id text PRIMARY KEY,
  invoice_id text NOT NULL,
  currency text NOT NULL,
  block_timestamp timestamptz,
  sighted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deposit_sightings_invoice ON deposit_sightings (invoice_id);
