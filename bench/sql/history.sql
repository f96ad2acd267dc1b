-- Loads a year of history into one signed-up account: N metered calls spread over the last 365 days, the
-- ledger entries of the paid ones, monthly deposits (payment attempts + ledger) that keep the wallet
-- positive, the 15-minute usage rollups, and a spend key whose secret bench.accounts keeps.
--
--   psql "$DATABASE_URL" -v label=hist-10000 -v email=bench-10000@example.test -v n=10000 -f history.sql
--
-- The user, account, membership and empty wallet come from POST /api/signup (so the password hash is the
-- server's own argon2). Everything else is written here by a few large INSERT … SELECT statements over a
-- staging table, so 10M calls fit in minutes on 2 cores. No constraint, index or trigger is dropped or
-- disabled: the rows are built consistent, and bench/sql/verify.sql checks the invariants afterwards.
--
-- The data obeys what the app guarantees:
--   * requests are inserted in created_at order with seq following time (seq = a reserved block + i);
--   * each paid completed call has exactly one usage ledger entry (reference = the request id);
--   * ledger balance_after is the running balance in time order; wallets.balance = Σ ledger > 0;
--   * usage_rollups = Σ requests per (15-minute UTC bucket, service, model); usage_daily = Σ of those per
--     local day of the account's timezone.
\set ON_ERROR_STOP on
\set QUIET on
SET client_min_messages = warning;
\pset footer off
-- Bulk load settings, this session only: sorts and hashes in memory, no wait for WAL flush per chunk.
SET work_mem = '1GB';
SET maintenance_work_mem = '1GB';
SET synchronous_commit = off;

SELECT m.account_id, w.id AS wallet_id, u.id AS user_id
  FROM users u
  JOIN memberships m ON m.user_id = u.id AND m.role = 'owner'
  JOIN wallets w ON w.account_id = m.account_id
 WHERE u.email = :'email' \gset
-- The history starts 365 days ago; calls run until just before now.
SELECT date_trunc('second', now()) - interval '365 days' AS t_start \gset
-- Calls per INSERT: bounds each statement's size (-v chunk=… overrides).
\if :{?chunk}
\else
\set chunk 1000000
\endif

-- A spend key with a known secret (tg_sk_ + 48 hex digits, stored as its SHA-256 like the app does).
SELECT 'tg_sk_' || substr(md5(random()::text) || md5(random()::text), 1, 48) AS secret \gset
INSERT INTO spend_keys (account_id, name, secret_sha256, display_prefix, created_at, created_by)
VALUES (:'account_id', 'bench history', sha256(convert_to(:'secret', 'UTF8')), left(:'secret', 10),
        :'t_start'::timestamptz - interval '1 day', :'user_id')
RETURNING id AS key_id \gset
INSERT INTO bench.accounts (label, email, account_id, wallet_id, key_id, secret, requests)
VALUES (:'label', :'email', :'account_id', :'wallet_id', :'key_id', :'secret', :n);
-- Back-date the account so its history doesn't predate it.
UPDATE accounts SET created_at = :'t_start'::timestamptz - interval '1 day' WHERE id = :'account_id';

---------------------------------------------------------------------------------------------------------
-- 1. Staging: every call with its cost, the running spend and its rank among paid calls (for ledger ids).
--    Mix: 50% openai, 20% anthropic, 20% exa, 9% open-meteo (free), 1% rejected (key_limit_reached, a
--    refusal that can happen whatever the balance). Tokens 200–5000 in, 50–1000 out.
---------------------------------------------------------------------------------------------------------
SELECT clock_timestamp() AS t0 \gset
DROP TABLE IF EXISTS bench.calls, bench.periods, bench.deposits;
CREATE UNLOGGED TABLE bench.calls AS
SELECT c.*,
       sum(c.cost_total) OVER w AS spent,                              -- spent up to and including this call
       count(*) FILTER (WHERE c.cost_total > 0) OVER w AS paid_rank,   -- 1-based among paid calls
       floor(extract(epoch FROM c.created_at - :'t_start'::timestamptz) / (30 * 86400))::int AS period
  FROM (
    SELECT r.i, r.id, r.created_at, sm.service_id, sm.model, t.input_tokens, t.output_tokens,
           CASE WHEN r.pick >= 0.99 THEN 'rejected' ELSE 'completed' END AS status,
           CASE WHEN r.pick >= 0.99 THEN 'key_limit_reached' END AS reject_reason,
           x.cost_input, x.cost_output, x.cost_fee, x.cost_input + x.cost_output + x.cost_fee AS cost_total
      FROM (
        -- OFFSET 0 keeps the volatile random() columns evaluated once per row.
        SELECT i, gen_random_uuid() AS id, random() AS pick,
               -- Monotone in i (jitter < 1 step), so created_at order = i order = seq order.
               :'t_start'::timestamptz + make_interval(secs => (i - 1 + random() * 0.9) * 31536000.0 / :n) AS created_at,
               200 + floor(random() * 4801)::bigint AS tin, 50 + floor(random() * 951)::bigint AS tout
          FROM generate_series(1, :n) AS i
        OFFSET 0
      ) r
      CROSS JOIN LATERAL (SELECT CASE WHEN r.pick < 0.50 OR r.pick >= 0.99 THEN 'openai'
                                      WHEN r.pick < 0.70 THEN 'anthropic'
                                      WHEN r.pick < 0.90 THEN 'exa'
                                      ELSE 'open-meteo' END AS service_id) s
      JOIN service_models sm ON sm.service_id = s.service_id
      CROSS JOIN LATERAL (SELECT CASE WHEN sm.input_per_million + sm.output_per_million > 0 THEN r.tin ELSE 0 END AS input_tokens,
                                 CASE WHEN sm.input_per_million + sm.output_per_million > 0 THEN r.tout ELSE 0 END AS output_tokens) t
      CROSS JOIN LATERAL (SELECT CASE WHEN r.pick >= 0.99 THEN 0 ELSE t.input_tokens * sm.input_per_million / 1000000 END::numeric(20, 8) AS cost_input,
                                 CASE WHEN r.pick >= 0.99 THEN 0 ELSE t.output_tokens * sm.output_per_million / 1000000 END::numeric(20, 8) AS cost_output,
                                 CASE WHEN r.pick >= 0.99 THEN 0 ELSE sm.per_request END::numeric(20, 8) AS cost_fee) x
  ) c
WINDOW w AS (ORDER BY c.i ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW);
-- The table is written in i order, so a BRIN index makes each chunk's range read cheap.
CREATE INDEX ON bench.calls USING brin (i);
ANALYZE bench.calls;
INSERT INTO bench.timings (label, step, rows, seconds)
VALUES (:'label', 'staging (generate_series, costs, running spend)', :n, extract(epoch FROM clock_timestamp() - :'t0'::timestamptz));

---------------------------------------------------------------------------------------------------------
-- 2. Deposits: at the start of every 30-day period, the period's spend rounded up plus $20, in payments of
--    at most $10,000 (the Add Funds limit). So the balance never goes below $20 and ends positive.
---------------------------------------------------------------------------------------------------------
SELECT clock_timestamp() AS t0 \gset
CREATE UNLOGGED TABLE bench.periods AS
WITH spend AS (
    SELECT p.p AS period, COALESCE(sum(c.cost_total), 0) AS spend
      FROM generate_series(0, 12) AS p(p)
      LEFT JOIN bench.calls c ON c.period = p.p
     GROUP BY p.p
), amounts AS (
    SELECT period, spend, ceil(spend) + 20 AS deposit FROM spend
)
SELECT period, spend, deposit,
       sum(deposit) OVER (ORDER BY period) AS dep_cum,             -- deposited up to and including period
       COALESCE(sum(spend) OVER (ORDER BY period ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS spent_before
  FROM amounts;
CREATE UNLOGGED TABLE bench.deposits AS
SELECT d.*, gen_random_uuid() AS attempt_id,
       row_number() OVER (ORDER BY d.period, d.part) AS rank,
       -- Balance after this payment: earlier deposits + this period's parts so far - spend before the period.
       p.dep_cum - p.deposit + sum(d.amount) OVER (PARTITION BY d.period ORDER BY d.part) - p.spent_before AS balance_after
  FROM (
    SELECT p.period, k.part,
           ceil(p.deposit * 100 / ceil(p.deposit / 10000)) / 100 AS amount,
           -- Microseconds before the period's first call (parts in order).
           :'t_start'::timestamptz + make_interval(days => 30 * p.period) - make_interval(secs => (100 - k.part) / 1e6) AS created_at
      FROM bench.periods p
      CROSS JOIN LATERAL generate_series(1, ceil(p.deposit / 10000)::int) AS k(part)
  ) d
  JOIN bench.periods p USING (period);
-- A part is rounded up to the cent, so a period may get a few cents more than planned: use what was paid.
UPDATE bench.periods p
   SET dep_cum = (SELECT sum(amount) FROM bench.deposits d WHERE d.period <= p.period);

-- Reserve ledger ids and request seqs in blocks, so rows can be written with known ids in one pass.
SELECT count(*) AS paid_total FROM bench.calls WHERE cost_total > 0 \gset
SELECT count(*) AS deposit_total FROM bench.deposits \gset
SELECT nextval(pg_get_serial_sequence('ledger_entries', 'id')) AS ledger_base \gset
SELECT setval(pg_get_serial_sequence('ledger_entries', 'id'), :ledger_base + :paid_total + :deposit_total) \gset ignored_
SELECT nextval(pg_get_serial_sequence('requests', 'seq')) AS seq_base \gset
SELECT setval(pg_get_serial_sequence('requests', 'seq'), :seq_base + :n) \gset ignored_

INSERT INTO payment_methods (account_id, processor_token, brand, last4, expiry_month, expiry_year,
                             billing_postal_code, is_default, created_at)
VALUES (:'account_id', 'tok_bench_' || :'account_id', 'Visa', '4242', 12, 2030, '94107', true,
        :'t_start'::timestamptz - interval '1 day')
RETURNING id AS pm_id \gset
INSERT INTO ledger_entries (id, account_id, wallet_id, kind, amount, balance_after, reference, created_at)
OVERRIDING SYSTEM VALUE
SELECT :ledger_base + :paid_total + d.rank - 1, :'account_id', :'wallet_id', 'deposit', d.amount, d.balance_after,
       'payment:' || d.attempt_id, d.created_at
  FROM bench.deposits d ORDER BY d.rank;
INSERT INTO payment_attempts (id, account_id, amount, status, idempotency_key, payment_method_id, processor_token,
                              card_brand, card_last4, card_expiry_month, card_expiry_year, card_postal_code,
                              processor_charge_id, ledger_entry_id, created_at, confirmed_at, completed_at, receipt_number)
SELECT d.attempt_id, :'account_id', d.amount, 'succeeded', 'bench-' || d.attempt_id, :'pm_id', 'tok_bench_' || :'account_id',
       'Visa', '4242', 12, 2030, '94107', 'ch_bench_' || replace(d.attempt_id::text, '-', ''),
       :ledger_base + :paid_total + d.rank - 1, d.created_at - interval '2 seconds', d.created_at - interval '1 second', d.created_at,
       d.rank
  FROM bench.deposits d;
INSERT INTO bench.timings (label, step, rows, seconds)
VALUES (:'label', 'deposits (payment attempts + ledger)', :deposit_total, extract(epoch FROM clock_timestamp() - :'t0'::timestamptz));

---------------------------------------------------------------------------------------------------------
-- 3. Usage ledger entries, one per paid call, in chunks of :chunk calls.
---------------------------------------------------------------------------------------------------------
SELECT clock_timestamp() AS t0 \gset
SELECT format($sql$
    INSERT INTO ledger_entries (id, account_id, wallet_id, kind, amount, balance_after, reference, created_at)
    OVERRIDING SYSTEM VALUE
    SELECT %s + c.paid_rank - 1, %L, %L, 'usage', -c.cost_total, p.dep_cum - c.spent, c.id::text, c.created_at
      FROM bench.calls c JOIN bench.periods p USING (period)
     WHERE c.cost_total > 0 AND c.i BETWEEN %s AND %s
     ORDER BY c.i$sql$, :ledger_base, :'account_id', :'wallet_id', lo, lo + :chunk - 1)
  FROM generate_series(1, :n, :chunk) AS lo \gexec
INSERT INTO bench.timings (label, step, rows, seconds)
VALUES (:'label', 'ledger_entries (usage)', :paid_total, extract(epoch FROM clock_timestamp() - :'t0'::timestamptz));

---------------------------------------------------------------------------------------------------------
-- 4. Requests, in created_at order, seq following time.
---------------------------------------------------------------------------------------------------------
-- `requests` is partitioned by month (migration requests_by_month); pg_partman made three months back and
-- three ahead, so the history's older months are made here (a month that exists is left as it is).
SELECT partman.create_partition_time('public.requests', ARRAY(
           SELECT generate_series(date_trunc('month', min(created_at)), max(created_at), interval '1 month')
             FROM bench.calls)) AS ignored_made \gset
SELECT clock_timestamp() AS t0 \gset
SELECT format($sql$
    INSERT INTO requests (id, seq, account_id, spend_key_id, service_id, model, input_tokens, output_tokens, status,
                          reject_reason, cost_input, cost_output, cost_fee, cost_total, ledger_entry_id, balance_after,
                          created_at)
    OVERRIDING SYSTEM VALUE
    SELECT c.id, %s + c.i - 1, %L, %L, c.service_id, c.model, c.input_tokens, c.output_tokens, c.status,
           c.reject_reason, c.cost_input, c.cost_output, c.cost_fee, c.cost_total,
           CASE WHEN c.cost_total > 0 THEN %s + c.paid_rank - 1 END, p.dep_cum - c.spent, c.created_at
      FROM bench.calls c JOIN bench.periods p USING (period)
     WHERE c.i BETWEEN %s AND %s
     ORDER BY c.i$sql$, :seq_base, :'account_id', :'key_id', :ledger_base, lo, lo + :chunk - 1)
  FROM generate_series(1, :n, :chunk) AS lo \gexec
INSERT INTO bench.timings (label, step, rows, seconds)
VALUES (:'label', 'requests', :n, extract(epoch FROM clock_timestamp() - :'t0'::timestamptz));

---------------------------------------------------------------------------------------------------------
-- 5. Rollups (15-minute and daily) from the same calls; wallet balance and key counters to match.
---------------------------------------------------------------------------------------------------------
SELECT clock_timestamp() AS t0 \gset
INSERT INTO usage_rollups (account_id, bucket, service_id, model, requests, rejected, cost)
SELECT :'account_id', to_timestamp(floor(extract(epoch FROM created_at) / 900) * 900), service_id, model,
       count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'rejected'), sum(cost_total)
  FROM bench.calls
 GROUP BY 2, 3, 4
 ORDER BY 2, 3, 4;  -- in time order, as the live app appends them (keeps an account's range compact)
-- The daily level in the account's timezone, from the 15-minute rows (the function the app's timezone
-- change uses; see the usage_daily migration).
SELECT rebuild_usage_daily(:'account_id') \gset
SELECT count(*) AS rollup_rows FROM usage_rollups WHERE account_id = :'account_id' \gset
UPDATE wallets
   SET balance = (SELECT max(dep_cum) FROM bench.periods) - (SELECT COALESCE(sum(cost_total), 0) FROM bench.calls),
       receipts_issued = :deposit_total,
       updated_at = now()
 WHERE id = :'wallet_id';
UPDATE spend_keys k
   SET total_spend = s.total, request_count = s.completed, last_used_at = s.last
  FROM (SELECT sum(cost_total) AS total, count(*) FILTER (WHERE status = 'completed') AS completed,
               max(created_at) AS last
          FROM bench.calls) s
 WHERE k.id = :'key_id';
INSERT INTO bench.timings (label, step, rows, seconds)
VALUES (:'label', 'usage_rollups, wallet, key counters', :rollup_rows, extract(epoch FROM clock_timestamp() - :'t0'::timestamptz));

DROP TABLE bench.calls, bench.periods, bench.deposits;
