-- Webhooks (docs/CONTRACT.md "Webhooks", docs/ARCHITECTURE.md "Webhooks"): money events an account's own
-- endpoints subscribe to, delivered at least once, signed like Stripe's.
CREATE TABLE webhook_endpoints (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id  uuid NOT NULL REFERENCES accounts (id),
    url         text NOT NULL CHECK (length(url) <= 2048),
    events      text[] NOT NULL CHECK (cardinality(events) BETWEEN 1 AND 6),
    -- The signing secret (`whsec_…`): shown once when the endpoint is added. It is kept as is because
    -- signing needs it (an HMAC key, like Stripe's); it never leaves the server again.
    secret      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE INDEX webhook_endpoints_account ON webhook_endpoints (account_id) WHERE deleted_at IS NULL;

-- The outbox: one row per event, written in the same transaction as the change it reports (a deposit's
-- credit, a decline, a debit crossing the low-balance alert), only when an endpoint subscribes to it.
CREATE TABLE webhook_events (
    id          text PRIMARY KEY CHECK (id ~ '^evt_[0-9a-f]{32}$'),
    account_id  uuid NOT NULL REFERENCES accounts (id),
    type        text NOT NULL,
    data        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per (event, endpoint): what the sender does and did. A sender leases a due row by moving
-- next_attempt_at forward before it sends, so a sender that dies mid-request leaves it to be retried.
CREATE TABLE webhook_deliveries (
    id              bigserial PRIMARY KEY,
    event_id        text NOT NULL REFERENCES webhook_events (id),
    endpoint_id     uuid NOT NULL REFERENCES webhook_endpoints (id),
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    -- The sender attempt holding it: an answer is recorded only by the attempt that leased it (a "Resend"
    -- meanwhile clears it, so the late answer of the attempt before doesn't push the resend back).
    lease           uuid,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_attempt_at timestamptz,
    -- The endpoint's HTTP status, or NULL when it gave none (timeout, refused connection, refused address).
    last_status     integer,
    last_error      text CHECK (length(last_error) <= 300),
    delivered_at    timestamptz,
    UNIQUE (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id DESC);
