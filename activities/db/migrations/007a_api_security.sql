-- Issue 14: webhook management scope, key expiry (rotation with overlap), stored idempotent
-- responses and per-key rate-limit counters.

-- Webhook endpoints now need the `webhooks` scope. Keys that could already read and write keep
-- every power they had; write-only keys (storefronts) lose the ability to register endpoints.
UPDATE api_keys SET scopes = array_append(scopes, 'webhooks')
  WHERE scopes @> ARRAY['read', 'write'] AND NOT scopes @> ARRAY['webhooks'];

-- A rotated key keeps working until this instant, so deployments can switch over without downtime.
ALTER TABLE api_keys ADD COLUMN expires_at timestamptz;

-- The first answer to each Idempotency-Key, replayed verbatim (status and body) within the window.
-- status NULL: the first request is still running; locked_until lets another take over after a crash.
CREATE TABLE idempotent_requests (
  merchant_id text NOT NULL REFERENCES merchants(id),
  livemode boolean NOT NULL,
  key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  fingerprint text NOT NULL,
  status integer,
  body text,
  locked_until timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, livemode, key)
);
CREATE INDEX idempotent_requests_age ON idempotent_requests (created_at);

-- Fixed-window request counters shared by every API process (express-rate-limit's store).
CREATE UNLOGGED TABLE rate_limit_hits (
  key text PRIMARY KEY,
  hits integer NOT NULL,
  reset_at timestamptz NOT NULL
);
