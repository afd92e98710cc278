-- The chain watcher asks at every new head which open deposits it brings to their required depth
-- (activities/chain/wake-deposits-at-depth.ts); without this index that is a scan of every deposit.
CREATE INDEX IF NOT EXISTS deposits_open_by_block ON deposits (network, block_number)
  WHERE status IN ('detected', 'confirming');
