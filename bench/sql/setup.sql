-- Bench bookkeeping, in its own schema so nothing of the app's schema changes. run.sh loads it into the
-- fresh bench database after the server has migrated it.
CREATE SCHEMA IF NOT EXISTS bench;

-- The accounts the benchmarks drive: the history accounts (hist-N) and the P1 wallets (n = 0 is the hot
-- wallet, 1..1000 the spread ones). `secret` is the spend key in clear text: wrk sends it, pgbench needs
-- the ids.
CREATE TABLE IF NOT EXISTS bench.accounts (
    label      text PRIMARY KEY,
    n          int UNIQUE,
    email      text NOT NULL,
    account_id uuid NOT NULL,
    wallet_id  uuid NOT NULL,
    key_id     uuid NOT NULL,
    secret     text NOT NULL,
    requests   bigint NOT NULL DEFAULT 0
);

-- How long each generation step took (printed by run.sh, copied into the results).
CREATE TABLE IF NOT EXISTS bench.timings (
    id      serial PRIMARY KEY,
    label   text NOT NULL,
    step    text NOT NULL,
    rows    bigint,
    seconds numeric(10, 1) NOT NULL
);
