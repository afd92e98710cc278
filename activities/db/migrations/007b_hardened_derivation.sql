-- Derivation scheme 1: m/44'/60'/<account>'/<0 live | 1 test>/<index>. The unhardened mode level
-- lets a leaked test key plus the account xpub reveal the account's private key, live keys included.
-- Scheme 2 hardens it: m/44'/60'/<account>'/<0' live | 1' test>/<index>. Existing merchants keep
-- scheme 1, so no existing address ever changes; merchants created from now on get scheme 2.
ALTER TABLE merchants ADD COLUMN derivation_scheme smallint NOT NULL DEFAULT 1 CHECK (derivation_scheme IN (1, 2));
ALTER TABLE merchants ALTER COLUMN derivation_scheme SET DEFAULT 2;
