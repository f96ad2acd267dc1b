-- The chat channel's duplicate guard (docs/CONTRACT.md "Chat (MCP)"): a chat app that retries "Add $25"
-- without an idempotency key must not charge twice. One row per top-up a connection (spend key) made
-- without a key of its own; a new top-up of the same amount is held for confirmation while a row of that
-- amount is under 2 minutes old. Taken under a transaction-scoped advisory lock per connection and amount,
-- so two identical calls arriving together (on one server or several) cannot both pass. A top-up that
-- charged nothing (a decline, a checkout link, a refusal) deletes its own row, and only its own.
CREATE TABLE chat_top_up_guards (
    account_id      uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    spend_key_id    uuid NOT NULL REFERENCES spend_keys (id) ON DELETE CASCADE,
    amount          numeric(12, 2) NOT NULL CHECK (amount > 0),
    -- The idempotency key the top-up was charged under (generated, or derived from a confirmation).
    idempotency_key text NOT NULL,
    -- Sent with `needs_confirmation`; the confirmed call names it, so a retry of that call is the same
    -- top-up (charged under `chat-confirm-<id>`), not a third one.
    confirmation_id uuid NOT NULL DEFAULT gen_random_uuid(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, spend_key_id, idempotency_key)
);
CREATE INDEX chat_top_up_guards_recent ON chat_top_up_guards (spend_key_id, amount, created_at DESC);
CREATE INDEX chat_top_up_guards_age ON chat_top_up_guards (created_at);
