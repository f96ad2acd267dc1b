-- Auto top-up (docs/CONTRACT.md "Auto top-up", docs/ARCHITECTURE.md "Auto top-up"): a standing rule that
-- keeps a wallet above a threshold by charging a saved card once for the whole gap. Off by default.
CREATE TABLE auto_top_up_settings (
    account_id           uuid PRIMARY KEY REFERENCES accounts (id),
    enabled              boolean NOT NULL DEFAULT false,
    -- "When balance falls below", "Top up to", "Monthly limit" (the page's rules, kept here too).
    threshold            numeric(20, 2) NOT NULL CHECK (threshold >= 1),
    top_up_to            numeric(20, 2) NOT NULL CHECK (top_up_to <= 10000 AND top_up_to >= threshold + 10),
    monthly_limit        numeric(20, 2) NOT NULL CHECK (monthly_limit BETWEEN 10 AND 1000000),
    payment_method_id    uuid NOT NULL REFERENCES payment_methods (id),
    -- Declines in a row of the rule's own charges; the second one turns the rule off.
    consecutive_declines integer NOT NULL DEFAULT 0 CHECK (consecutive_declines >= 0),
    -- Why Tollgate turned it off (the wallet page's banner). Only a person turns it back on.
    disabled_reason      text CHECK (disabled_reason IS NULL OR NOT enabled),
    -- The spend key that last set the rule through `PUT /v1/auto_top_up` (NULL: a person on the page). Its
    -- charges count against that key's daily funding limit and stop when the key is paused or revoked,
    -- so a leaked funding key can't raise what it may add in a day by setting a rule.
    set_by_key_id        uuid REFERENCES spend_keys (id),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- One row per time the rule fired. The debit that takes the balance below the threshold inserts it in its
-- own transaction; a worker on any server claims it (FOR UPDATE SKIP LOCKED) and charges once for the gap
-- through a payment attempt whose idempotency key is derived from the job's id.
--   queued    waiting for a worker
--   charging  its attempt is pending (the processor is being asked; recovery settles it after a crash)
--   succeeded / failed   its attempt settled (in the same transaction as the attempt)
--   skipped   nothing was charged: see skip_reason
CREATE TABLE auto_top_up_jobs (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id  uuid NOT NULL REFERENCES accounts (id),
    state       text NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'charging', 'succeeded', 'failed', 'skipped')),
    attempt_id  uuid UNIQUE REFERENCES payment_attempts (id),
    skip_reason text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    CHECK ((state = 'skipped') = (skip_reason IS NOT NULL)),
    CHECK (state IN ('queued', 'skipped') OR attempt_id IS NOT NULL)
);
-- At most one open job per wallet: a constraint, not a check, so concurrent debits can't make two.
CREATE UNIQUE INDEX auto_top_up_jobs_one_open ON auto_top_up_jobs (account_id) WHERE state IN ('queued', 'charging');
CREATE INDEX auto_top_up_jobs_queued ON auto_top_up_jobs (created_at) WHERE state = 'queued';

-- The rule's charges are payment attempts of their own channel ("Auto top-up" in deposits and the log).
ALTER TABLE payment_attempts DROP CONSTRAINT payment_attempts_channel_check;
ALTER TABLE payment_attempts
    ADD CONSTRAINT payment_attempts_channel_check
    CHECK (channel IN ('dashboard', 'checkout', 'api', 'chat', 'auto_top_up'));
CREATE INDEX payment_attempts_auto_top_up ON payment_attempts (account_id, created_at)
    WHERE channel = 'auto_top_up';
ALTER TABLE audit_events DROP CONSTRAINT audit_events_channel_check;
ALTER TABLE audit_events
    ADD CONSTRAINT audit_events_channel_check
    CHECK (channel IN ('dashboard', 'checkout', 'api', 'chat', 'server', 'auto_top_up'));
