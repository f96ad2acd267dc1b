-- P1 baseline: one paid call per transaction, the naive way (no group commit). One exa search ($0.005)
-- charged to a wallet picked from bench.accounts n = :lo..:hi (run.sh: 0..0 = the hot wallet,
-- 1..1000 = spread). Statements as the app would send them: conditional debit, ledger entry, request row,
-- rollup upserts (15-minute and daily), then COMMIT (one WAL flush per call). Run with -M prepared, like sqlx.
--
-- The pick by n stands in for the server's spend-key lookup (one indexed read per call as well). A wallet
-- that ran dry would make the \gset after the UPDATE fail: run.sh funds the wallets far beyond a run.
\set n random(:lo, :hi)
SELECT account_id AS acct, wallet_id AS wallet, key_id AS key FROM bench.accounts WHERE n = :n \gset
BEGIN;
UPDATE wallets SET balance = balance - 0.005, updated_at = now()
 WHERE id = :wallet AND balance >= 0.005
 RETURNING balance AS bal \gset
INSERT INTO ledger_entries (account_id, wallet_id, kind, amount, balance_after, reference)
VALUES (:acct, :wallet, 'usage', -0.005, :bal, 'pgbench')
RETURNING id AS entry \gset
INSERT INTO requests (id, account_id, spend_key_id, service_id, model, input_tokens, output_tokens, status,
                      cost_input, cost_output, cost_fee, cost_total, ledger_entry_id, balance_after)
VALUES (gen_random_uuid(), :acct, :key, 'exa', 'search', 0, 0, 'completed', 0, 0, 0.005, 0.005, :entry, :bal);
INSERT INTO usage_rollups AS u (account_id, bucket, service_id, model, requests, rejected, cost)
VALUES (:acct, to_timestamp(floor(extract(epoch FROM now()) / 900) * 900), 'exa', 'search', 1, 0, 0.005)
ON CONFLICT (account_id, bucket, service_id, model)
DO UPDATE SET requests = u.requests + 1, cost = u.cost + excluded.cost;
INSERT INTO usage_daily AS d (account_id, day, service_id, model, requests, rejected, cost)
VALUES (:acct, (now() AT TIME ZONE (SELECT timezone FROM accounts WHERE id = :acct))::date, 'exa', 'search', 1, 0, 0.005)
ON CONFLICT (account_id, day, service_id, model)
DO UPDATE SET requests = d.requests + 1, cost = d.cost + excluded.cost;
COMMIT;
