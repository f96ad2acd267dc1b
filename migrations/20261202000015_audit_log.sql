-- The audit log (docs/CONTRACT.md "Teams", docs/ARCHITECTURE.md "Audit log"): who did what to an account,
-- when, through which channel and from which address. Each row is written in the same transaction as the
-- action it records, so an action that was refused or rolled back leaves none, and one that happened always
-- has its row. Like the ledger it is append-only.
CREATE TABLE audit_events (
    id            bigserial PRIMARY KEY,
    account_id    uuid NOT NULL REFERENCES accounts (id),
    -- The person who acted (signed in on a page, or the maker of the key an agent used); NULL for the
    -- server itself.
    actor_user_id uuid REFERENCES users (id),
    -- The spend key an agent or chat app acted with.
    actor_key_id  uuid REFERENCES spend_keys (id),
    channel       text NOT NULL CHECK (channel IN ('dashboard', 'checkout', 'api', 'chat', 'server')),
    action        text NOT NULL CHECK (action ~ '^[a-z_]{1,40}$'),
    -- What was acted on, in words ("$25.00 with Visa •••• 4242", "key \"ci\"").
    detail        text NOT NULL CHECK (length(detail) <= 600),
    ip            inet,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_account ON audit_events (account_id, id DESC);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP;
END;
$$;
CREATE TRIGGER audit_events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- "Delete team": a deleted team keeps its rows (the ledger, its calls and this log are append-only); it
-- has no members, keys, cards or open invites left, and no page or key reaches it.
ALTER TABLE accounts ADD COLUMN deleted_at timestamptz CHECK (deleted_at IS NULL OR kind = 'team');

-- Where and through what a top-up was asked for, so its "funds added" row can say so when the charge
-- settles (possibly in start-up recovery, long after the request). Older attempts have neither.
ALTER TABLE payment_attempts
    ADD COLUMN client_ip inet,
    ADD COLUMN channel text CHECK (channel IN ('dashboard', 'checkout', 'api', 'chat'));
