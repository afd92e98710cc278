-- Test-mode gas refills from the local faucet, recorded before they are sent so that one a crash,
-- a dropped connection or a reorg took off the chain is sent again or found replaced, and booked
-- only once it is as deep as the network's confirmations (activities/wallet/faucet-refill.ts).
CREATE TABLE IF NOT EXISTS faucet_refills (
  hash        text PRIMARY KEY,
  network     text NOT NULL,
  faucet      text NOT NULL,
  nonce       bigint NOT NULL,
  merchant_id text NOT NULL,
  livemode    boolean NOT NULL,
  to_address  text NOT NULL,
  amount      numeric(78, 0) NOT NULL,
  currency    text NOT NULL,
  raw         text NOT NULL,
  -- null while the chain may still take it; 'mined' once final and booked; 'dropped' once its nonce went to another transaction
  outcome     text CHECK (outcome IN ('mined', 'dropped')),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS faucet_refills_open ON faucet_refills (network, to_address) WHERE outcome IS NULL;
