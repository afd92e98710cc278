-- The chain's own time for each scanned block: whether a payment was on time is decided by its
-- block's timestamp, and an invoice expires only once the watcher has scanned past its expiry.
ALTER TABLE chain_blocks ADD COLUMN IF NOT EXISTS timestamp timestamptz;
