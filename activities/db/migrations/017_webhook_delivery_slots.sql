-- Per-merchant webhook delivery slots shared by every worker process: a lease per slot, so a
-- merchant's cap holds across workers and a crashed worker's slots come back when they expire.
CREATE TABLE webhook_delivery_slots (
  merchant_id text NOT NULL,
  slot integer NOT NULL,
  delivery_id text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (merchant_id, slot)
);
