-- Core schema: merchants, keys, HD wallet bookkeeping, payment projections, ledger, chain cursors.
-- Amounts are base units in numeric(78,0): wide enough for any uint256, never floating point.

CREATE TABLE merchants (
  id text PRIMARY KEY,
  name text NOT NULL,
  -- BIP44 account index of the merchant's HD wallet: m/44'/60'/<account_index>'/<mode>/<index>.
  account_index integer GENERATED ALWAYS AS IDENTITY UNIQUE,
  underpayment_tolerance_bps integer NOT NULL DEFAULT 0 CHECK (underpayment_tolerance_bps BETWEEN 0 AND 10000),
  fee_policy jsonb NOT NULL DEFAULT '{"type":"none"}',
  webhook_retry_schedule_seconds integer[] NOT NULL DEFAULT '{5,10,15}',
  -- Signs invoice callback_url deliveries; one per mode, so a test invoice can never produce a
  -- callback that a production handler would accept.
  callback_secret text NOT NULL,
  callback_secret_test text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);

CREATE TABLE api_keys (
  id text PRIMARY KEY,
  merchant_id text NOT NULL REFERENCES merchants(id),
  livemode boolean NOT NULL,
  -- sha256 of the whole key; the key itself is shown once and never stored.
  key_hash text NOT NULL UNIQUE,
  key_prefix text NOT NULL,
  scopes text[] NOT NULL,
  ip_allowlist text[] NOT NULL DEFAULT '{}',
  description text,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);

-- Next free address index per merchant and mode; index 0 is the merchant's hot (sending) address.
CREATE TABLE wallet_counters (
  merchant_id text NOT NULL REFERENCES merchants(id),
  livemode boolean NOT NULL,
  next_index integer NOT NULL DEFAULT 1,
  PRIMARY KEY (merchant_id, livemode)
);

-- Every address Settle watches. The watcher matches Transfer logs against this table by primary
-- key, so matching costs the same whether ten or a million invoices are open.
CREATE TABLE addresses (
  network text NOT NULL,
  address text NOT NULL CHECK (address = lower(address)),
  merchant_id text NOT NULL REFERENCES merchants(id),
  livemode boolean NOT NULL,
  derivation_index integer NOT NULL,
  owner_type text NOT NULL CHECK (owner_type IN ('invoice', 'customer', 'hot')),
  owner_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (network, address),
  UNIQUE (owner_type, owner_id, network)
);

CREATE TABLE invoices (
  id text PRIMARY KEY,
  merchant_id text NOT NULL REFERENCES merchants(id),
  livemode boolean NOT NULL,
  external_id text,
  network text NOT NULL,
  currency text NOT NULL,
  amount numeric(78,0) NOT NULL,
  amount_received numeric(78,0) NOT NULL DEFAULT 0,
  deposit_address text NOT NULL,
  status text NOT NULL,
  paid_late boolean NOT NULL DEFAULT false,
  callback_url text,
  metadata jsonb NOT NULL DEFAULT '{}',
  expires_at timestamptz NOT NULL,
  paid_at timestamptz,
  created_at timestamptz NOT NULL,
  -- The invoice workflow's state version; a projection write never replaces a newer one.
  version integer NOT NULL DEFAULT 0,
  snapshot jsonb NOT NULL
);
CREATE INDEX invoices_list ON invoices (merchant_id, livemode, created_at DESC, id DESC);
CREATE UNIQUE INDEX invoices_external_id ON invoices (merchant_id, livemode, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE customers (
  id text PRIMARY KEY,
  merchant_id text NOT NULL REFERENCES merchants(id),
  livemode boolean NOT NULL,
  email text,
  name text,
  external_id text,
  metadata jsonb NOT NULL DEFAULT '{}',
  -- Millisecond precision, like every timestamp the API returns, so list cursors are exact.
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX customers_list ON customers (merchant_id, livemode, created_at DESC, id DESC);

CREATE TABLE deposits (
  id text PRIMARY KEY,
  merchant_id text NOT NULL REFERENCES merchants(id),
  livemode boolean NOT NULL,
  network text NOT NULL,
  tx_hash text NOT NULL,
  log_index integer NOT NULL,
  block_number bigint NOT NULL,
  block_hash text NOT NULL,
  from_address text NOT NULL,
  to_address text NOT NULL,
  currency text NOT NULL,
  amount numeric(78,0) NOT NULL,
  status text NOT NULL,
  confirmations integer NOT NULL DEFAULT 0,
  invoice_id text,
  customer_id text,
  detected_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 0,
  snapshot jsonb NOT NULL
);
CREATE INDEX deposits_list ON deposits (merchant_id, livemode, detected_at DESC, id DESC);

-- Append-only double-entry ledger. Each posting (txn_id) sums to zero across its entries;
-- the unique key makes a retried posting a no-op instead of a second credit.
CREATE TABLE ledger_entries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  txn_id text NOT NULL,
  merchant_id text NOT NULL REFERENCES merchants(id),
  livemode boolean NOT NULL,
  network text NOT NULL,
  currency text NOT NULL,
  account text NOT NULL,
  amount numeric(78,0) NOT NULL,
  ref_type text NOT NULL,
  ref_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  UNIQUE (txn_id, account)
);
CREATE INDEX ledger_by_merchant ON ledger_entries (merchant_id, livemode, account);

CREATE OR REPLACE FUNCTION ledger_is_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'ledger_entries is append-only';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_no_update BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();

-- Scan position and recent block hashes per network: the hashes let the watcher notice a reorg
-- (a new block whose parent is not the hash we stored) and rewind to the fork point.
CREATE TABLE chain_cursors (
  network text PRIMARY KEY,
  next_block bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE chain_blocks (
  network text NOT NULL,
  number bigint NOT NULL,
  hash text NOT NULL,
  parent_hash text NOT NULL,
  PRIMARY KEY (network, number)
);

-- Every event Settle emits. The body is serialized once, so every delivery attempt sends (and
-- signs) exactly the same bytes.
CREATE TABLE events (
  id text PRIMARY KEY,
  merchant_id text NOT NULL REFERENCES merchants(id),
  livemode boolean NOT NULL,
  type text NOT NULL,
  object_type text NOT NULL,
  object_id text NOT NULL,
  sequence integer NOT NULL,
  body text NOT NULL,
  callback_url text,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX events_list ON events (merchant_id, livemode, created_at DESC, id DESC);
CREATE INDEX events_by_object ON events (object_id, sequence);
