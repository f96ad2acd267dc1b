-- Saved cards and Add Funds attempts. We keep only what CONTRACT.md allows of a card: the processor's
-- token, brand, last4, expiry and billing postal code. Never a full number, never a CVC.

CREATE TABLE payment_methods (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id          uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    processor_token     text NOT NULL UNIQUE,
    brand               text NOT NULL,
    last4               text NOT NULL CHECK (last4 ~ '^[0-9]{4}$'),
    expiry_month        int  NOT NULL CHECK (expiry_month BETWEEN 1 AND 12),
    expiry_year         int  NOT NULL CHECK (expiry_year BETWEEN 2000 AND 2099),
    billing_postal_code text NOT NULL,
    is_default          boolean NOT NULL DEFAULT false,
    -- The card's last failure, shown until a later success clears it.
    has_error           boolean NOT NULL DEFAULT false,
    error_code          text,
    error_message       text,
    error_at            timestamptz,
    -- Removed cards stay for the history of the attempts made with them.
    removed_at          timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (has_error = (error_code IS NOT NULL)),
    CHECK (NOT (is_default AND removed_at IS NOT NULL))
);
CREATE INDEX payment_methods_account ON payment_methods (account_id, created_at) WHERE removed_at IS NULL;
CREATE UNIQUE INDEX payment_methods_one_default ON payment_methods (account_id) WHERE is_default;

-- One row per Add Funds attempt, through its phases (ARCHITECTURE.md "atomic phases"):
--   draft     amount and card chosen, card tokenized; nothing charged ("Continue")
--   pending   confirmed, the charge is being (or may have been) made with idempotency_key ("Confirm")
--   succeeded charged and credited to the wallet, in one transaction with its ledger entry
--   failed    declined: the public code and message here and on the card; the real reason internal only
CREATE TABLE payment_attempts (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id         uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    amount             numeric(20, 8) NOT NULL CHECK (amount BETWEEN 10 AND 10000 AND amount = round(amount, 2)),
    status             text NOT NULL CHECK (status IN ('draft', 'pending', 'succeeded', 'failed')),
    idempotency_key    text NOT NULL UNIQUE,
    payment_method_id  uuid REFERENCES payment_methods (id),
    processor_token    text NOT NULL,
    card_brand         text NOT NULL,
    card_last4         text NOT NULL,
    card_expiry_month  int  NOT NULL,
    card_expiry_year   int  NOT NULL,
    card_postal_code   text NOT NULL,
    save_card          boolean NOT NULL DEFAULT false,
    processor_charge_id text,
    decline_code       text,
    decline_message    text,
    decline_reason     text,
    ledger_entry_id    bigint REFERENCES ledger_entries (id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    confirmed_at       timestamptz,
    completed_at       timestamptz,
    CHECK ((status = 'succeeded') = (ledger_entry_id IS NOT NULL)),
    CHECK ((status = 'failed') = (decline_code IS NOT NULL))
);
CREATE INDEX payment_attempts_account_time ON payment_attempts (account_id, created_at DESC);
CREATE INDEX payment_attempts_pending ON payment_attempts (confirmed_at) WHERE status = 'pending';
CREATE INDEX payment_attempts_declines ON payment_attempts (account_id, completed_at) WHERE status = 'failed';
