-- Withdrawals, sweeps and durable transaction signing.

-- Projection of withdrawal workflows for lists; the workflow's state is authoritative.
CREATE TABLE withdrawals (
  id text PRIMARY KEY,
  merchant_id text NOT NULL REFERENCES merchants(id),
  livemode boolean NOT NULL,
  network text NOT NULL,
  currency text NOT NULL,
  amount numeric(78,0) NOT NULL,
  to_address text NOT NULL,
  status text NOT NULL,
  tx_hash text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 0,
  snapshot jsonb NOT NULL
);
CREATE INDEX withdrawals_list ON withdrawals (merchant_id, livemode, created_at DESC, id DESC);

-- What a withdrawal takes out of its merchant's hot address. Unsettled plans are the hot address's
-- committed outflow, so concurrent withdrawals never count the same tokens twice.
CREATE TABLE withdrawal_plans (
  withdrawal_id text PRIMARY KEY,
  merchant_id text NOT NULL REFERENCES merchants(id),
  livemode boolean NOT NULL,
  network text NOT NULL,
  currency text NOT NULL,
  hot_address text NOT NULL,
  amount numeric(78,0) NOT NULL,
  settled boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX withdrawal_plans_open ON withdrawal_plans (merchant_id, livemode, network, currency) WHERE NOT settled;

-- Token moves from deposit addresses to the hot address, planned together with their withdrawal.
CREATE TABLE sweeps (
  id text PRIMARY KEY,
  withdrawal_id text NOT NULL REFERENCES withdrawal_plans(withdrawal_id),
  network text NOT NULL,
  currency text NOT NULL,
  from_address text NOT NULL,
  derivation_index integer NOT NULL,
  amount numeric(78,0) NOT NULL CHECK (amount > 0),
  mined boolean NOT NULL DEFAULT false,
  -- Mined but reverted: the tokens never moved, so the sweep no longer counts against its address.
  reverted boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX sweeps_open ON sweeps (network, from_address) WHERE NOT mined;

-- Next nonce per sending address. Initialised from the node once, then owned by Settle, so two
-- transactions never share a nonce even when the node's view lags.
CREATE TABLE nonces (
  network text NOT NULL,
  address text NOT NULL,
  next_nonce bigint NOT NULL,
  PRIMARY KEY (network, address)
);

-- Every signed transaction, stored before it is broadcast. A purpose ("withdrawal:<id>:transfer")
-- has one nonce; later attempts are fee-bumped replacements of the first, and whichever is mined wins.
CREATE TABLE signed_transactions (
  purpose text NOT NULL,
  attempt integer NOT NULL,
  network text NOT NULL,
  from_address text NOT NULL,
  to_address text NOT NULL,
  nonce bigint NOT NULL,
  -- 2 = EIP-1559 (max fees), 0 = legacy (gas price in max_fee_per_gas), for networks without 1559.
  tx_type smallint NOT NULL,
  tx_hash text NOT NULL UNIQUE,
  raw text NOT NULL,
  gas_limit numeric(78,0) NOT NULL,
  max_fee_per_gas numeric(78,0) NOT NULL,
  max_priority_fee_per_gas numeric(78,0) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (purpose, attempt),
  UNIQUE (network, from_address, nonce, attempt)
);
