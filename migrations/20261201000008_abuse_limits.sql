-- Limits that must hold across every app server (docs/CONTRACT.md "Limits and account security"), so they
-- live here and not in any process's memory.

-- Rate limits by subject (a client IP, an email + IP, …) within a bucket (what is limited). `throttle_events`
-- records what was let through; `throttle_blocks` how long a subject that went over stays refused. Both are
-- purged by the maintenance job once they can no longer matter.
CREATE TABLE throttle_events (
    bucket  text NOT NULL,
    subject text NOT NULL,
    at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX throttle_events_subject ON throttle_events (bucket, subject, at);
CREATE INDEX throttle_events_at ON throttle_events (at);

CREATE TABLE throttle_blocks (
    bucket  text NOT NULL,
    subject text NOT NULL,
    until   timestamptz NOT NULL,
    PRIMARY KEY (bucket, subject)
);

-- Which spend key asked for a deposit (agent funding), so its daily funding limit can be summed.
ALTER TABLE payment_attempts ADD COLUMN spend_key_id uuid REFERENCES spend_keys (id) ON DELETE SET NULL;
CREATE INDEX payment_attempts_spend_key ON payment_attempts (spend_key_id, confirmed_at)
    WHERE spend_key_id IS NOT NULL;
-- The site-wide decline breaker reads the last minutes of declines across all accounts.
CREATE INDEX payment_attempts_recent_declines ON payment_attempts (completed_at) WHERE status = 'failed';

-- How much a key with "Allow adding funds" may add per UTC day.
ALTER TABLE spend_keys
    ADD COLUMN daily_funding_limit numeric(12, 2) NOT NULL DEFAULT 100.00
        CHECK (daily_funding_limit > 0 AND daily_funding_limit <= 10000);

-- The ledger is append-only: TRUNCATE is refused too (the row trigger can't see it).
CREATE TRIGGER ledger_entries_no_truncate
    BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only();

-- Idempotency keys are kept 24 h (docs/CONTRACT.md "JSON API"); the maintenance job forgets older ones, so
-- a key reused after that is a new request. This index finds them without reading every call.
CREATE INDEX requests_idempotency_age ON requests (created_at) WHERE idempotency_key IS NOT NULL;
CREATE INDEX api_idempotency_age ON api_idempotency (created_at);
