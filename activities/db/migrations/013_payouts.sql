-- Batch payouts and invoice refunds: outgoing transfers from the merchant's hot address, paid from
-- its balance. A refund is a payout of one item linked to the invoice it refunds.

-- Projection of payout workflows; the reservation inserts the row (with its items) in the same
-- transaction as the ledger posting, so a refund's bound can be checked against it under a lock.
CREATE TABLE payouts (
  id text PRIMARY KEY,
  merchant_id text NOT NULL REFERENCES merchants(id),
  livemode boolean NOT NULL,
  kind text NOT NULL CHECK (kind IN ('payout', 'refund')),
  invoice_id text REFERENCES invoices(id),
  network text NOT NULL,
  currency text NOT NULL,
  amount numeric(78,0) NOT NULL CHECK (amount > 0),
  status text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 0,
  snapshot jsonb NOT NULL
);
CREATE INDEX payouts_list ON payouts (merchant_id, livemode, kind, created_at DESC, id DESC);
CREATE INDEX payouts_invoice ON payouts (invoice_id, created_at DESC, id DESC) WHERE invoice_id IS NOT NULL;

-- One transfer each. `announced` is the status whose event was last published: an item whose
-- status moved on without its event (a crash between the two) is announced on the next pass.
CREATE TABLE payout_items (
  id text PRIMARY KEY,
  payout_id text NOT NULL REFERENCES payouts(id),
  position integer NOT NULL,
  amount numeric(78,0) NOT NULL CHECK (amount > 0),
  to_address text NOT NULL,
  reference text,
  status text NOT NULL CHECK (status IN ('pending', 'sent', 'completed', 'failed')),
  announced text,
  tx_hash text,
  failure_reason text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  UNIQUE (payout_id, position)
);
CREATE INDEX payout_items_open ON payout_items (payout_id, position) WHERE status IN ('pending', 'sent');
