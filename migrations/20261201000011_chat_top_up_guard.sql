-- The chat channel's duplicate guard (docs/CONTRACT.md "Chat (MCP)"): a chat app that retries "Add $25"
-- without an idempotency key must not charge twice. One row per connection (spend key) and amount: taking
-- it is an upsert that only succeeds when the previous top-up of that amount is over 2 minutes old, so two
-- identical calls at once cannot both pass. Released again when nothing was charged (a decline, a checkout
-- link, a refusal before the charge).
CREATE TABLE chat_top_up_guards (
    account_id      uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    spend_key_id    uuid NOT NULL REFERENCES spend_keys (id) ON DELETE CASCADE,
    amount          numeric(12, 2) NOT NULL CHECK (amount > 0),
    -- The idempotency key the guarded top-up was charged with (generated, never shown).
    idempotency_key text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, spend_key_id, amount)
);
