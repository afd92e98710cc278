-- Webhook hygiene: a rotated secret stays valid for a grace period, and an endpoint failing for
-- days is disabled (disabled_reason says Settle did it, not the merchant).

ALTER TABLE webhook_endpoints
  ADD COLUMN previous_secret text,
  ADD COLUMN previous_secret_expires_at timestamptz,
  -- The first failed attempt of the current run of failures; any success clears it.
  ADD COLUMN failing_since timestamptz,
  ADD COLUMN disabled_reason text CHECK (disabled_reason IN ('failing')),
  ADD CHECK ((previous_secret IS NULL) = (previous_secret_expires_at IS NULL));
