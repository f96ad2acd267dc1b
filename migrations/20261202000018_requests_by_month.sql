-- `requests` partitioned by month of `created_at` (docs/SCALING.md "Step 2"). It is the one table that grows
-- with every call; by month, an old month can be detached and archived whole, a month's indexes stay small,
-- and a range of days reads only its months (partition pruning). pg_partman creates the months: this
-- migration the ones its rows need plus three ahead, the maintenance job (server/src/startup/maintenance.rs)
-- keeps three ahead from then on. A default partition takes a row no month was made for (a clock far off),
-- so a call is never refused for want of a partition.
--
-- A partitioned table's unique keys must hold the partition key, so two rules move:
-- - the primary key becomes (account_id, id, created_at): a call is looked up by its account and id, and
--   leading with account_id is what a table distributed by account needs (docs/SCALING.md "Step 4");
-- - the unique (account_id, idempotency_key) can't span months: it moves to `request_idempotency`, written
--   in the same statement as the call, and forgotten after 24 hours as before.
-- The migration copies the rows in one transaction: right for the sizes Tollgate runs at today; the batched
-- copy for a large live table is described in docs/SCALING.md.

CREATE SCHEMA IF NOT EXISTS partman;
CREATE EXTENSION IF NOT EXISTS pg_partman SCHEMA partman;

ALTER TABLE requests RENAME TO requests_unpartitioned;
ALTER TABLE requests_unpartitioned RENAME CONSTRAINT requests_pkey TO requests_unpartitioned_pkey;
DROP INDEX requests_account_seq, requests_account_time, requests_idempotency, requests_idempotency_age;

-- `seq` orders an account's calls in commit order, as before; a sequence of its own, because identity
-- columns on partitioned tables need PostgreSQL 17.
CREATE SEQUENCE requests_seq;

CREATE TABLE requests (
    id              uuid NOT NULL,
    seq             bigint NOT NULL DEFAULT nextval('requests_seq'),
    account_id      uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    spend_key_id    uuid NOT NULL REFERENCES spend_keys (id),
    service_id      text NOT NULL,
    model           text NOT NULL,
    input_tokens    bigint NOT NULL CHECK (input_tokens >= 0),
    output_tokens   bigint NOT NULL CHECK (output_tokens >= 0),
    status          text NOT NULL CHECK (status IN ('completed', 'rejected')),
    reject_reason   text CHECK (reject_reason IN ('insufficient_balance', 'key_limit_reached', 'member_budget_reached')),
    cost_input      numeric(20, 8) NOT NULL CHECK (cost_input >= 0),
    cost_output     numeric(20, 8) NOT NULL CHECK (cost_output >= 0),
    cost_fee        numeric(20, 8) NOT NULL CHECK (cost_fee >= 0),
    cost_total      numeric(20, 8) NOT NULL,
    ledger_entry_id bigint REFERENCES ledger_entries (id),
    -- The wallet balance right after this call was decided (so a replayed answer is the same answer).
    balance_after   numeric(20, 8) NOT NULL CHECK (balance_after >= 0),
    -- The key the call was made with, kept with the call; whether it still replays is `request_idempotency`.
    idempotency_key text CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id, created_at),
    CHECK ((status = 'rejected') = (reject_reason IS NOT NULL)),
    CHECK (cost_total = cost_input + cost_output + cost_fee),
    CHECK (status = 'completed' OR cost_total = 0),
    -- A paid completed call is explained by exactly one ledger entry; free and rejected calls by none.
    CHECK ((ledger_entry_id IS NOT NULL) = (status = 'completed' AND cost_total > 0))
) PARTITION BY RANGE (created_at);
ALTER SEQUENCE requests_seq OWNED BY requests.seq;
-- Every list of calls reads an account's range of time newest first, paging by (created_at, seq).
CREATE INDEX requests_account_time ON requests (account_id, created_at, seq);

-- The months from the oldest call's (or three back) to three ahead, and the default partition.
DO $$
DECLARE
    first_month timestamptz := date_trunc('month', LEAST(
        (SELECT min(created_at) FROM requests_unpartitioned), now() - interval '3 months'));
BEGIN
    PERFORM partman.create_parent('public.requests', 'created_at', 'native', 'monthly',
                                  p_premake := 3, p_start_partition := first_month::text, p_jobmon := false);
END $$;
-- Months ahead of the clock, not of the newest call: a quiet database still has next month ready.
UPDATE partman.part_config SET infinite_time_partitions = true WHERE parent_table = 'public.requests';

-- A call made with an Idempotency-Key, while the key still replays (24 hours, docs/CONTRACT.md "JSON API").
-- The metered path reads it under the wallet's lock before deciding, so the primary key is a backstop; it
-- names the call by its full key, so the replay reads one month's partition.
CREATE TABLE request_idempotency (
    account_id      uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    request_id      uuid NOT NULL,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (account_id, idempotency_key)
);
CREATE INDEX request_idempotency_age ON request_idempotency (created_at);

INSERT INTO requests (id, seq, account_id, spend_key_id, service_id, model, input_tokens, output_tokens, status,
                      reject_reason, cost_input, cost_output, cost_fee, cost_total, ledger_entry_id, balance_after,
                      idempotency_key, created_at)
SELECT id, seq, account_id, spend_key_id, service_id, model, input_tokens, output_tokens, status,
       reject_reason, cost_input, cost_output, cost_fee, cost_total, ledger_entry_id, balance_after,
       idempotency_key, created_at
  FROM requests_unpartitioned;
INSERT INTO request_idempotency (account_id, idempotency_key, request_id, created_at)
SELECT account_id, idempotency_key, id, created_at
  FROM requests_unpartitioned
 WHERE idempotency_key IS NOT NULL AND created_at >= now() - interval '24 hours';
SELECT setval('requests_seq', COALESCE((SELECT max(seq) FROM requests_unpartitioned), 0) + 1, false);

DROP TABLE requests_unpartitioned;
-- Its constraints were named while the old table's still held the plain names.
DO $$
DECLARE c record;
BEGIN
    FOR c IN SELECT conname FROM pg_constraint WHERE conrelid = 'requests'::regclass AND conname ~ '1$' LOOP
        EXECUTE format('ALTER TABLE requests RENAME CONSTRAINT %I TO %I', c.conname, rtrim(c.conname, '1'));
    END LOOP;
END $$;
