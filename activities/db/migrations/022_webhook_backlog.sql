-- Deliveries waiting for one of their merchant's delivery slots before their queue workflow is
-- started or signalled. A merchant whose receivers hang would otherwise have a workflow started per
-- (endpoint, object) at once, each only to wait its turn: on one Temporal server every such start
-- and wake is a write that other merchants' invoice starts queue behind. `seq` is the order the
-- deliveries were enqueued in (an object's events reach each target in their lifecycle order);
-- `released_at` marks one handed to its queue whose first attempt has not yet taken a slot.
CREATE TABLE webhook_backlog (
  delivery_id text PRIMARY KEY,
  seq bigserial NOT NULL,
  merchant_id text NOT NULL,
  livemode boolean NOT NULL,
  target_id text NOT NULL,
  object_id text NOT NULL,
  event_id text NOT NULL,
  request_id text NOT NULL,
  enqueued_at timestamptz NOT NULL DEFAULT now(),
  released_at timestamptz
);
CREATE INDEX webhook_backlog_by_merchant ON webhook_backlog (merchant_id, seq);
