-- The chain watcher asks every pass whether any invoice on a network is priced in its native coin
-- (activities/chain/native-watched.ts); without this index that is a scan of every invoice.
CREATE INDEX IF NOT EXISTS invoices_network_currency ON invoices (network, currency);
