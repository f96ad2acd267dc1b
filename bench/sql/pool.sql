-- The P1 wallets: n = 0 is the hot wallet (64 connections on one row), n = 1..:spread the spread ones.
-- Each is a user + account + owner membership + funded wallet + one spend key, as sign-up and "Create key"
-- would make them, written directly (1,001 sign-ups would spend a minute on argon2 for nothing: nobody
-- logs in as these users; they get a copy of a signed-up user's password hash).
--
--   psql "$DATABASE_URL" -v spread=1000 -v hash_from=bench-10000@example.test -f pool.sql
--
-- Funding is one `adjustment` ledger entry, so balance = Σ ledger holds: $1,000,000 on the hot wallet and
-- $10,000 on each spread one — enough that a benchmark run never meets a 402 (exa search costs $0.005).
\set ON_ERROR_STOP on
\set QUIET on
SELECT clock_timestamp() AS t0 \gset
SELECT password_hash FROM users WHERE email = :'hash_from' \gset

CREATE TEMP TABLE pool AS
SELECT n,
       CASE WHEN n = 0 THEN 'hot' ELSE 'spread-' || n END AS label,
       CASE WHEN n = 0 THEN 'bench-hot@example.test' ELSE 'bench-spread-' || n || '@example.test' END AS email,
       CASE WHEN n = 0 THEN 1000000 ELSE 10000 END::numeric(20, 8) AS funds,
       gen_random_uuid() AS user_id, gen_random_uuid() AS account_id, gen_random_uuid() AS wallet_id,
       gen_random_uuid() AS key_id,
       'tg_sk_' || substr(md5(random()::text) || md5(random()::text), 1, 48) AS secret
  FROM generate_series(0, :spread) AS n;

INSERT INTO users (id, email, password_hash) SELECT user_id, email, :'password_hash' FROM pool;
INSERT INTO accounts (id, name) SELECT account_id, email FROM pool;
INSERT INTO memberships (account_id, user_id, role) SELECT account_id, user_id, 'owner' FROM pool;
INSERT INTO wallets (id, account_id, balance) SELECT wallet_id, account_id, funds FROM pool;
INSERT INTO ledger_entries (account_id, wallet_id, kind, amount, balance_after, reference)
SELECT account_id, wallet_id, 'adjustment', funds, funds, 'bench:funding' FROM pool ORDER BY n;
INSERT INTO spend_keys (id, account_id, name, secret_sha256, display_prefix, created_by)
SELECT key_id, account_id, 'bench p1', sha256(convert_to(secret, 'UTF8')), left(secret, 10), user_id FROM pool;
INSERT INTO bench.accounts (label, n, email, account_id, wallet_id, key_id, secret)
SELECT label, n, email, account_id, wallet_id, key_id, secret FROM pool;

INSERT INTO bench.timings (label, step, rows, seconds)
SELECT 'p1 wallets', 'users, wallets, keys (hot + spread)', count(*), extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)
  FROM pool;
