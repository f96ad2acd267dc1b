-- Users sign in; accounts own money. Every account-scoped table carries account_id and its indexes lead
-- with it, so the schema can later be distributed by account.

CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE accounts (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text NOT NULL,
    timezone   text NOT NULL DEFAULT 'UTC',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id, created_at);

-- One USD wallet per account. `balance` is a cache of SUM(ledger_entries.amount), changed only in the
-- same transaction as the entry that explains it; the CHECK makes an overdraft impossible even for a bug.
CREATE TABLE wallets (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id uuid NOT NULL UNIQUE REFERENCES accounts (id) ON DELETE RESTRICT,
    currency   text NOT NULL DEFAULT 'USD' CHECK (currency = 'USD'),
    balance    numeric(20, 8) NOT NULL DEFAULT 0 CHECK (balance >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ledger_entries (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id    uuid NOT NULL REFERENCES accounts (id) ON DELETE RESTRICT,
    wallet_id     uuid NOT NULL REFERENCES wallets (id) ON DELETE RESTRICT,
    kind          text NOT NULL CHECK (kind IN ('deposit', 'usage', 'refund', 'adjustment')),
    amount        numeric(20, 8) NOT NULL CHECK (amount <> 0),
    balance_after numeric(20, 8) NOT NULL CHECK (balance_after >= 0),
    reference     text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'deposit' AND amount > 0) OR (kind = 'usage' AND amount < 0) OR kind IN ('refund', 'adjustment'))
);
CREATE INDEX ledger_entries_account_time ON ledger_entries (account_id, created_at DESC, id DESC);
CREATE INDEX ledger_entries_wallet ON ledger_entries (wallet_id);

-- The ledger is append-only: history is corrected by new entries, never by edits.
CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_entries is append-only (% refused)', TG_OP;
END;
$$;
CREATE TRIGGER ledger_entries_no_update_or_delete
    BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();
