-- Card disputes (docs/CONTRACT.md "Disputes"): a cardholder disputes a deposit with their bank, and the
-- processor takes the disputed amount back at once. So does Tollgate: a ledger entry "Dispute" withdraws it
-- from the wallet's paid credit even below zero — the one way a balance goes negative — and a won dispute
-- returns it ("Dispute won"). Each step is one entry, applied once whatever order the processor's news
-- comes in.

-- How much disputes have withdrawn and not returned: the wallet's paid credit never goes further below zero
-- than this, so even a bug can't overdraw a wallet any other way.
ALTER TABLE wallets
    ADD COLUMN withdrawn_by_disputes numeric(20, 8) NOT NULL DEFAULT 0 CHECK (withdrawn_by_disputes >= 0),
    DROP CONSTRAINT wallets_balance_check,
    DROP CONSTRAINT wallets_paid_and_promotional,
    ADD CONSTRAINT wallets_paid_and_promotional
        CHECK (promotional >= 0 AND balance - promotional >= -withdrawn_by_disputes);

ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check, DROP CONSTRAINT ledger_entries_sign_by_kind,
    DROP CONSTRAINT ledger_entries_balance_after_check;
ALTER TABLE ledger_entries
    ADD CONSTRAINT ledger_entries_kind_check CHECK (kind IN (
        'deposit', 'usage', 'refund', 'adjustment', 'promotional_grant', 'promotional_expiry', 'dispute',
        'dispute_won')),
    ADD CONSTRAINT ledger_entries_sign_by_kind CHECK (
        (kind = 'deposit' AND amount > 0 AND promotional = 0)
        OR (kind = 'usage' AND amount < 0)
        OR (kind = 'promotional_grant' AND amount > 0 AND promotional = amount)
        OR (kind = 'promotional_expiry' AND amount < 0 AND promotional = amount)
        OR (kind IN ('refund', 'adjustment') AND promotional = 0)
        OR (kind = 'dispute' AND amount < 0 AND promotional = 0)
        OR (kind = 'dispute_won' AND amount > 0 AND promotional = 0)),
    -- A paid call never takes a balance below zero; after a dispute any other entry may land below it.
    ADD CONSTRAINT ledger_entries_balance_after_check CHECK (balance_after >= 0 OR kind <> 'usage');

-- One row per dispute. `opened`: the amount is withdrawn (`withdrawn_entry_id`); `won`: returned
-- (`returned_entry_id`); `lost`: it stays withdrawn. News of a dispute about a deposit Tollgate hasn't
-- recorded yet isn't kept here: the processor is asked to send it again (docs/ARCHITECTURE.md "Disputes").
CREATE TABLE disputes (
    account_id           uuid NOT NULL REFERENCES accounts (id),
    id                   uuid NOT NULL,
    processor_dispute_id text NOT NULL CHECK (length(processor_dispute_id) BETWEEN 1 AND 255),
    payment_attempt_id   uuid NOT NULL,
    amount               numeric(20, 8) NOT NULL CHECK (amount > 0),
    status               text NOT NULL CHECK (status IN ('opened', 'won', 'lost')),
    reason               text CHECK (length(reason) <= 200),
    opened_at            timestamptz NOT NULL DEFAULT now(),
    closed_at            timestamptz,
    withdrawn_entry_id   bigint NOT NULL,
    returned_entry_id    bigint,
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, processor_dispute_id),
    FOREIGN KEY (account_id, payment_attempt_id) REFERENCES payment_attempts (account_id, id),
    FOREIGN KEY (account_id, withdrawn_entry_id) REFERENCES ledger_entries (account_id, id),
    FOREIGN KEY (account_id, returned_entry_id) REFERENCES ledger_entries (account_id, id),
    CHECK ((status = 'won') = (returned_entry_id IS NOT NULL)),
    CHECK ((status = 'opened') = (closed_at IS NULL))
);
CREATE INDEX disputes_by_account ON disputes (account_id, opened_at DESC);

-- A dispute names the processor's charge; this finds its deposit.
CREATE INDEX payment_attempts_by_charge ON payment_attempts (processor_charge_id) WHERE processor_charge_id IS NOT NULL;

-- While a dispute keeps a wallet below zero, its paid calls are refused as `wallet_negative`.
ALTER TABLE requests DROP CONSTRAINT requests_reject_reason_check,
    ADD CONSTRAINT requests_reject_reason_check
        CHECK (reject_reason IN ('insufficient_balance', 'key_limit_reached', 'member_budget_reached', 'wallet_negative'));

-- A refused call keeps the balance it was refused at, which a dispute may have taken below zero.
ALTER TABLE requests DROP CONSTRAINT requests_balance_after_check,
    ADD CONSTRAINT requests_balance_after_check CHECK (balance_after >= 0 OR status = 'rejected');
