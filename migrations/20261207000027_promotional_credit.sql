-- Promotional credit (docs/CONTRACT.md "Promotional credit"): credit Tollgate grants, with an expiry date. A
-- paid call spends it before paid credit, soonest expiry first; at its expiry the unspent rest leaves the
-- wallet by a ledger entry of its own. Paid credit never expires.
--
-- Every ledger entry says which credit it moved: `promotional` is the promotional part of its `amount` (same
-- sign, never more), the rest is paid credit. `wallets.promotional` caches Σ ledger_entries.promotional the
-- way `balance` caches Σ amount, changed only with the entry that explains it, so the wallet's paid credit
-- is `balance - promotional`, and it can't be spent below zero.
ALTER TABLE ledger_entries
    ADD COLUMN promotional numeric(20, 8) NOT NULL DEFAULT 0,
    ADD CONSTRAINT ledger_entries_promotional_part
        CHECK (promotional = 0 OR (sign(promotional) = sign(amount) AND abs(promotional) <= abs(amount)));

ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check, DROP CONSTRAINT ledger_entries_check;
ALTER TABLE ledger_entries
    ADD CONSTRAINT ledger_entries_kind_check CHECK (kind IN (
        'deposit', 'usage', 'refund', 'adjustment', 'promotional_grant', 'promotional_expiry')),
    ADD CONSTRAINT ledger_entries_sign_by_kind CHECK (
        (kind = 'deposit' AND amount > 0 AND promotional = 0)
        OR (kind = 'usage' AND amount < 0)
        OR (kind = 'promotional_grant' AND amount > 0 AND promotional = amount)
        OR (kind = 'promotional_expiry' AND amount < 0 AND promotional = amount)
        OR (kind IN ('refund', 'adjustment') AND promotional = 0));

-- `promotional_expires_at` is the soonest expiry among the wallet's grants not yet expired (NULL: none), so
-- the transaction that locks the wallet to spend from it can tell, from the row it holds, that a grant must
-- leave first — a grant's credit is never spent after its expiry, whenever the maintenance pass runs.
ALTER TABLE wallets
    ADD COLUMN promotional numeric(20, 8) NOT NULL DEFAULT 0,
    ADD COLUMN promotional_expires_at timestamptz,
    ADD CONSTRAINT wallets_paid_and_promotional CHECK (promotional >= 0 AND balance - promotional >= 0),
    ADD CONSTRAINT wallets_promotional_expiry CHECK (promotional = 0 OR promotional_expires_at IS NOT NULL);

-- One row per grant. `remaining` is what is left of it as of the last time the wallet's promotional spending
-- was shared out over its grants (soonest expiry first). Spending doesn't touch this table — a paid call
-- moves only the wallet row — so the spending since is `Σ remaining - wallets.promotional` over the grants
-- not yet expired, shared out (under the wallet's lock) whenever the set of those grants changes: when one
-- is granted and when one expires. Between two such changes the set is fixed, so sharing the spending out
-- at the end gives each grant what spending it call by call would have.
CREATE TABLE promotional_grants (
    account_id       uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    id               uuid NOT NULL,
    amount           numeric(20, 8) NOT NULL CHECK (amount > 0 AND amount = round(amount, 2)),
    remaining        numeric(20, 8) NOT NULL CHECK (remaining >= 0 AND remaining <= amount),
    expires_at       timestamptz NOT NULL,
    reason           text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    -- Who granted it, as the audit log names them (a staff email, "Tollgate" for the system).
    granted_by       text NOT NULL CHECK (length(granted_by) BETWEEN 1 AND 254),
    created_at       timestamptz NOT NULL,
    ledger_entry_id  bigint NOT NULL,
    -- When it expired, and the entry that took its unspent rest (none when nothing was left).
    expired_at       timestamptz,
    expired_entry_id bigint,
    PRIMARY KEY (account_id, id),
    FOREIGN KEY (account_id, ledger_entry_id) REFERENCES ledger_entries (account_id, id),
    FOREIGN KEY (account_id, expired_entry_id) REFERENCES ledger_entries (account_id, id),
    CHECK (expires_at > created_at),
    CHECK (expired_entry_id IS NULL OR expired_at IS NOT NULL),
    CHECK (expired_at IS NULL OR remaining = 0)
);
-- The wallet's grants not yet expired, soonest first (the order they are spent in), and the ones due.
CREATE INDEX promotional_grants_unexpired ON promotional_grants (account_id, expires_at, id) WHERE expired_at IS NULL;
CREATE INDEX promotional_grants_due ON promotional_grants (expires_at) WHERE expired_at IS NULL;

-- `credit.expired` is a seventh event an endpoint may subscribe to; the bound leaves room for more.
ALTER TABLE webhook_endpoints DROP CONSTRAINT webhook_endpoints_events_check,
    ADD CONSTRAINT webhook_endpoints_events_check CHECK (cardinality(events) BETWEEN 1 AND 32);
