-- The invariants the generator (and, after P1, the server and the naive pgbench SQL) must keep, per bench
-- account: wallets.balance = Σ ledger; Σ usage_rollups = Σ usage_daily = Σ requests (calls and cost); every
-- paid completed call has its ledger entry; seq follows created_at. Prints one row per history account and one for the P1
-- wallets together; `ok` says whether everything holds.
\set QUIET on
-- -v scope=p1: only the P1 wallets (the history accounts don't change after loading).
\if :{?scope}
\else
\set scope all
\endif
\pset footer off
-- The seq-order check sorts an account's calls: in memory.
SET work_mem = '512MB';
-- Right after loading, the statistics say one or two accounts own every row, so the planner would scan
-- all of requests once per P1 wallet (1,001 times). Every lookup here has an index leading with account_id.
SET enable_seqscan = off;
WITH per_account AS (
    SELECT a.label, a.n, w.balance,
           COALESCE((SELECT sum(amount) FROM ledger_entries e WHERE e.account_id = w.account_id), 0) AS ledger_sum,
           r.calls, r.cost, r.paid, r.linked,
           COALESCE(u.calls, 0) AS rollup_calls, COALESCE(u.cost, 0) AS rollup_cost,
           COALESCE(d.calls, 0) AS daily_calls, COALESCE(d.cost, 0) AS daily_cost,
           -- Only the history accounts were loaded with time-ordered seq (P1 calls are by nature).
           CASE WHEN a.n IS NULL THEN (
               SELECT count(*) FROM (
                   SELECT created_at < lag(created_at) OVER (ORDER BY seq) AS back
                     FROM requests WHERE account_id = a.account_id) s
                WHERE back) ELSE 0 END AS seq_out_of_time
      FROM bench.accounts a
      JOIN wallets w ON w.account_id = a.account_id AND w.id = a.wallet_id AND (:'scope' = 'all' OR a.n IS NOT NULL)
      CROSS JOIN LATERAL (
          SELECT count(*) AS calls, COALESCE(sum(cost_total), 0) AS cost,
                 count(*) FILTER (WHERE status = 'completed' AND cost_total > 0) AS paid,
                 count(ledger_entry_id) AS linked
            FROM requests WHERE account_id = a.account_id) r
      CROSS JOIN LATERAL (
          SELECT sum(requests + rejected) AS calls, sum(cost) AS cost
            FROM usage_rollups WHERE account_id = a.account_id) u
      CROSS JOIN LATERAL (
          SELECT sum(requests + rejected) AS calls, sum(cost) AS cost
            FROM usage_daily WHERE account_id = a.account_id) d
)
SELECT CASE WHEN n IS NULL THEN label ELSE 'p1 wallets' END AS accounts, count(*) AS n,
       sum(calls) AS requests, sum(rollup_calls) AS rollup_calls, sum(cost) AS spend, sum(balance) AS balance,
       bool_and(balance = ledger_sum AND balance > 0 AND calls = rollup_calls AND cost = rollup_cost
                AND calls = daily_calls AND cost = daily_cost
                AND paid = linked AND seq_out_of_time = 0) AS ok
  FROM per_account
 GROUP BY 1
 ORDER BY sum(calls) DESC;
