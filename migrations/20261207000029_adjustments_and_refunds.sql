-- Money Tollgate's staff move by hand (docs/CONTRACT.md "Back office"): adjustments (a signed correction of
-- paid credit) and refunds of a deposit to its card. Each is its own row beside the ledger entry that moves
-- the money; nothing is edited. One above $1,000.00 waits for a second finance or admin person's approval
-- before any money moves, and the two can't be the same person.

CREATE TABLE adjustments (
    account_id      uuid NOT NULL REFERENCES accounts (id),
    id              uuid NOT NULL,
    amount          numeric(20, 8) NOT NULL
                    CHECK (amount <> 0 AND amount = round(amount, 2) AND abs(amount) <= 1000000),
    reason          text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    requested_by    uuid NOT NULL REFERENCES users (id),
    requested_at    timestamptz NOT NULL DEFAULT now(),
    -- awaiting_approval → applied (its entry written) or refused (the approver found it no longer fits)
    status          text NOT NULL CHECK (status IN ('awaiting_approval', 'applied', 'refused')),
    approved_by     uuid REFERENCES users (id),
    decided_at      timestamptz,
    ledger_entry_id bigint,
    PRIMARY KEY (account_id, id),
    FOREIGN KEY (account_id, ledger_entry_id) REFERENCES ledger_entries (account_id, id),
    CHECK ((status = 'applied') = (ledger_entry_id IS NOT NULL)),
    CHECK (approved_by IS NULL OR approved_by <> requested_by)
);
CREATE INDEX adjustments_waiting ON adjustments (account_id, requested_at) WHERE status = 'awaiting_approval';

-- A refund's phases, like an Add Funds attempt's (docs/ARCHITECTURE.md "Refunds"):
--   awaiting_approval  over $1,000.00, nothing moved yet
--   pending            the paid credit is debited (`debit_entry_id`) and the processor is being (or may have
--                      been) asked, with `idempotency_key` — the same key on every try
--   succeeded          the processor refunded it (`processor_refund_id`)
--   failed             the processor said no (`failure`): the money is back in the wallet (`return_entry_id`)
--   refused            an approver found it no longer refundable: nothing moved
CREATE TABLE refunds (
    account_id          uuid NOT NULL REFERENCES accounts (id),
    id                  uuid NOT NULL,
    payment_attempt_id  uuid NOT NULL,
    amount              numeric(20, 8) NOT NULL CHECK (amount > 0 AND amount = round(amount, 2)),
    reason              text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    requested_by        uuid NOT NULL REFERENCES users (id),
    requested_at        timestamptz NOT NULL DEFAULT now(),
    status              text NOT NULL
                        CHECK (status IN ('awaiting_approval', 'pending', 'succeeded', 'failed', 'refused')),
    approved_by         uuid REFERENCES users (id),
    idempotency_key     text NOT NULL,
    processor_refund_id text,
    failure             text CHECK (length(failure) <= 500),
    debit_entry_id      bigint,
    return_entry_id     bigint,
    sent_at             timestamptz,
    completed_at        timestamptz,
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, idempotency_key),
    FOREIGN KEY (account_id, payment_attempt_id) REFERENCES payment_attempts (account_id, id),
    FOREIGN KEY (account_id, debit_entry_id) REFERENCES ledger_entries (account_id, id),
    FOREIGN KEY (account_id, return_entry_id) REFERENCES ledger_entries (account_id, id),
    CHECK (approved_by IS NULL OR approved_by <> requested_by),
    CHECK ((status IN ('pending', 'succeeded', 'failed')) = (debit_entry_id IS NOT NULL)),
    CHECK ((status = 'failed') = (return_entry_id IS NOT NULL AND failure IS NOT NULL)),
    CHECK ((status = 'succeeded') = (processor_refund_id IS NOT NULL))
);
CREATE INDEX refunds_by_payment ON refunds (account_id, payment_attempt_id);
CREATE INDEX refunds_pending ON refunds (sent_at) WHERE status = 'pending';
CREATE INDEX refunds_waiting ON refunds (account_id, requested_at) WHERE status = 'awaiting_approval';
