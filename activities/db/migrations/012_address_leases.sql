-- One owner per deposit address: a sweep holds its address's lease from planning until it is mined
-- or abandoned, so concurrent withdrawals (of any currency: one address can hold a token and the
-- native coin) never plan against the same balance and the same gas.
CREATE TABLE address_leases (
  network text NOT NULL,
  address text NOT NULL,
  sweep_id text NOT NULL REFERENCES sweeps(id),
  withdrawal_id text NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (network, address)
);
CREATE INDEX address_leases_withdrawal ON address_leases (withdrawal_id);

-- A planned sweep that was never signed when its withdrawal failed: it moved nothing and no longer
-- counts against its address (mined and reverted are set too, so every balance query agrees).
ALTER TABLE sweeps ADD COLUMN abandoned boolean NOT NULL DEFAULT false;

-- Sweeps still in flight when this migration runs keep their addresses.
INSERT INTO address_leases (network, address, sweep_id, withdrawal_id)
SELECT DISTINCT ON (network, from_address) network, from_address, id, withdrawal_id
  FROM sweeps WHERE NOT mined ORDER BY network, from_address, created_at;

-- Planning reads every sweep of each candidate address; a merchant with thousands of addresses needs this.
CREATE INDEX sweeps_from_address ON sweeps (network, from_address);
