-- Webhooks: merchant endpoints, one delivery per (event, target, enqueue request) and every attempt.

CREATE TABLE webhook_endpoints (
  id text PRIMARY KEY,
  merchant_id text NOT NULL REFERENCES merchants(id),
  livemode boolean NOT NULL,
  url text NOT NULL,
  description text,
  -- Subscribed event types; empty means every type.
  events text[] NOT NULL DEFAULT '{}',
  enabled boolean NOT NULL DEFAULT true,
  secret text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- Soft delete: past deliveries keep pointing at the endpoint they went to.
  deleted_at timestamptz
);
CREATE INDEX webhook_endpoints_list ON webhook_endpoints (merchant_id, livemode, created_at DESC, id DESC) WHERE deleted_at IS NULL;

CREATE TABLE webhook_deliveries (
  -- Derived from target, event and enqueue request, so a retried activity finds the same row.
  id text PRIMARY KEY,
  event_id text NOT NULL REFERENCES events(id),
  merchant_id text NOT NULL REFERENCES merchants(id),
  livemode boolean NOT NULL,
  target_type text NOT NULL CHECK (target_type IN ('endpoint', 'callback')),
  endpoint_id text REFERENCES webhook_endpoints(id),
  url text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled')),
  attempt_count integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  completed_at timestamptz,
  CHECK ((target_type = 'endpoint') = (endpoint_id IS NOT NULL))
);
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id, created_at);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_failed ON webhook_deliveries (event_id) WHERE status = 'failed';

CREATE TABLE webhook_attempts (
  delivery_id text NOT NULL REFERENCES webhook_deliveries(id),
  attempt integer NOT NULL,
  attempted_at timestamptz NOT NULL,
  succeeded boolean NOT NULL,
  status_code integer,
  latency_ms integer NOT NULL,
  error text,
  response_snippet text CHECK (char_length(response_snippet) <= 500),
  PRIMARY KEY (delivery_id, attempt)
);
