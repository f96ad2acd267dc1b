-- What Tollgate keeps of a real card processor (docs/ARCHITECTURE.md "Stripe"): the processor's customer of
-- each account (one per account, made with its first card), and the events the processor sent, each handled
-- once however often it is sent (deduplicated by the processor's event id).

CREATE TABLE processor_customers (
    account_id  uuid PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    customer_id text NOT NULL CHECK (length(customer_id) BETWEEN 1 AND 255),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE processor_events (
    event_id    text PRIMARY KEY CHECK (length(event_id) BETWEEN 1 AND 255),
    event_type  text NOT NULL CHECK (length(event_type) BETWEEN 1 AND 255),
    -- The event as the processor sent it (refunds and disputes are kept for the money operations that
    -- act on them).
    payload     jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    -- Set in the transaction that acted on it; an event received but not handled (a crash between) is
    -- handled when the processor sends it again.
    handled_at  timestamptz
);
