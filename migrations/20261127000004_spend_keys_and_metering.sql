-- Spend keys, metered calls and what they roll up into, the API's idempotency records, hosted checkouts,
-- and the low-balance threshold. Every table is account-scoped and its indexes lead with account_id.

-- The wallet page shows a banner and `/v1/balance` says `low_balance: true` below this (NULL: no alert).
ALTER TABLE accounts
    ADD COLUMN low_balance_threshold numeric(20, 8)
        CHECK (low_balance_threshold IS NULL OR (low_balance_threshold >= 0 AND low_balance_threshold <= 1000000));

-- A spend key is a bearer secret (`tg_sk_` + 192 random bits). Only its SHA-256 is stored (a high-entropy
-- secret needs no slow hash, and the metered path looks it up on every call), plus a short visible prefix
-- so a person can tell keys apart. The counters are maintained by the metered path, per batch.
CREATE TABLE spend_keys (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id       uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    secret_sha256    bytea NOT NULL UNIQUE CHECK (length(secret_sha256) = 32),
    display_prefix   text NOT NULL CHECK (display_prefix ~ '^tg_sk_[0-9a-f]{4,8}$'),
    limit_amount     numeric(20, 8) CHECK (limit_amount > 0 AND limit_amount <= 1000000),
    -- Cycles are UTC: a day from 00:00 UTC, a week from Monday 00:00 UTC, a month from the 1st 00:00 UTC.
    limit_period     text CHECK (limit_period IN ('daily', 'weekly', 'monthly', 'total')),
    -- NULL: every service. Otherwise the service ids this key may call.
    allowed_services text[],
    allow_funding    boolean NOT NULL DEFAULT false,
    status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'revoked')),
    cycle_start      timestamptz,
    cycle_spend      numeric(20, 8) NOT NULL DEFAULT 0 CHECK (cycle_spend >= 0),
    total_spend      numeric(20, 8) NOT NULL DEFAULT 0 CHECK (total_spend >= 0),
    request_count    bigint NOT NULL DEFAULT 0 CHECK (request_count >= 0),
    last_used_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    revoked_at       timestamptz,
    CHECK ((limit_amount IS NULL) = (limit_period IS NULL)),
    CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
);
CREATE INDEX spend_keys_account ON spend_keys (account_id, created_at DESC);

-- One row per metered call, completed or rejected (a rejected call cost nothing). `seq` orders an
-- account's calls in commit order (a batch inserts its calls in arrival order), so cursor paging is stable
-- while new calls arrive.
CREATE TABLE requests (
    id              uuid PRIMARY KEY,
    seq             bigint GENERATED ALWAYS AS IDENTITY,
    account_id      uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    spend_key_id    uuid NOT NULL REFERENCES spend_keys (id),
    service_id      text NOT NULL,
    model           text NOT NULL,
    input_tokens    bigint NOT NULL CHECK (input_tokens >= 0),
    output_tokens   bigint NOT NULL CHECK (output_tokens >= 0),
    status          text NOT NULL CHECK (status IN ('completed', 'rejected')),
    reject_reason   text CHECK (reject_reason IN ('insufficient_balance', 'key_limit_reached')),
    cost_input      numeric(20, 8) NOT NULL CHECK (cost_input >= 0),
    cost_output     numeric(20, 8) NOT NULL CHECK (cost_output >= 0),
    cost_fee        numeric(20, 8) NOT NULL CHECK (cost_fee >= 0),
    cost_total      numeric(20, 8) NOT NULL,
    ledger_entry_id bigint REFERENCES ledger_entries (id),
    -- The wallet balance right after this call was decided (so a replayed answer is the same answer).
    balance_after   numeric(20, 8) NOT NULL CHECK (balance_after >= 0),
    idempotency_key text CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'rejected') = (reject_reason IS NOT NULL)),
    CHECK (cost_total = cost_input + cost_output + cost_fee),
    CHECK (status = 'completed' OR cost_total = 0),
    -- A paid completed call is explained by exactly one ledger entry; free and rejected calls by none.
    CHECK ((ledger_entry_id IS NOT NULL) = (status = 'completed' AND cost_total > 0))
);
CREATE UNIQUE INDEX requests_account_seq ON requests (account_id, seq DESC);
CREATE UNIQUE INDEX requests_idempotency ON requests (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- Usage rolled up per 15 minutes (UTC), service and model, in the same transaction as the calls. Every real
-- timezone offset (+5:30 Kolkata, +5:45 Kathmandu) is a multiple of 15 minutes, so a local day is always a
-- whole number of buckets: daily views are exact in any timezone without scanning `requests`.
CREATE TABLE usage_rollups (
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    bucket     timestamptz NOT NULL CHECK (extract(epoch FROM bucket)::bigint % 900 = 0),
    service_id text NOT NULL,
    model      text NOT NULL,
    requests   bigint NOT NULL DEFAULT 0 CHECK (requests >= 0),
    rejected   bigint NOT NULL DEFAULT 0 CHECK (rejected >= 0),
    cost       numeric(20, 8) NOT NULL DEFAULT 0 CHECK (cost >= 0),
    PRIMARY KEY (account_id, bucket, service_id, model)
);

-- `POST /v1/wallet/fund` idempotency (as Stripe): the first answer for a key is kept and replayed; the same
-- key with other parameters is refused. `attempt_id` links the Add Funds attempt, so an answer lost to a
-- crash is rebuilt from the attempt once recovery has settled it.
CREATE TABLE api_idempotency (
    account_id      uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    operation       text NOT NULL CHECK (operation IN ('fund')),
    idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    fingerprint     text NOT NULL,
    attempt_id      uuid REFERENCES payment_attempts (id),
    response_status int,
    response_body   jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, operation, idempotency_key),
    CHECK ((response_status IS NULL) = (response_body IS NULL))
);

-- A top-up an agent started without a saved card: the id is the capability (192 random bits), valid 24 h,
-- completed once.
CREATE TABLE checkout_sessions (
    id           text PRIMARY KEY CHECK (id ~ '^cs_[0-9a-f]{48}$'),
    account_id   uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    amount       numeric(20, 8) NOT NULL CHECK (amount BETWEEN 10 AND 10000 AND amount = round(amount, 2)),
    attempt_id   uuid REFERENCES payment_attempts (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    completed_at timestamptz,
    CHECK ((completed_at IS NULL) OR (attempt_id IS NOT NULL))
);
CREATE INDEX checkout_sessions_account ON checkout_sessions (account_id, created_at DESC);
-- Attempts made on a checkout page belong to it (so its result can be shown without a login).
ALTER TABLE payment_attempts ADD COLUMN checkout_id text REFERENCES checkout_sessions (id);
