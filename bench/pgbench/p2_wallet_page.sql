-- P2 baseline: the database work of one GET /dashboard/wallet, each distinct query once, as the app sends
-- them (app/src/auth/session.rs via tower-sessions' PostgresStore, app/src/wallet/db.rs summary and
-- recent_activity, core/src/payments/card_store.rs saved_cards, core/src/payments/attempt_store.rs
-- recent_attempts, app/src/usage/db.rs account_timezone + daily_summary + deposits_per_day for the chart).
-- Autocommit statements, -M prepared, like sqlx on its pool. run.sh passes:
--   :sid  the session id (the tollgate_session cookie)    :acct  the account (hist-1000000)
--   :tz   the account's timezone                          :since/:until  the chart's 30 days (today in :tz)
--   :from/:to  the same days as UTC instants [from, to)
SELECT data FROM "tower_sessions"."session" WHERE id = :sid AND expiry_date > now();
SELECT w.id, w.balance, a.low_balance_threshold
  FROM wallets w JOIN accounts a ON a.id = w.account_id
 WHERE w.account_id = :acct;
SELECT id, brand, last4, expiry_month, expiry_year, billing_postal_code, is_default, error_message, error_code, error_at
  FROM payment_methods
 WHERE account_id = :acct AND removed_at IS NULL
 ORDER BY is_default DESC, created_at;
SELECT id, COALESCE(completed_at, created_at), amount, card_brand, card_last4, status, decline_message
  FROM payment_attempts
 WHERE account_id = :acct AND status IN ('succeeded', 'failed')
 ORDER BY COALESCE(completed_at, created_at) DESC
 LIMIT 10;
SELECT id, created_at, kind, amount, balance_after, reference
  FROM ledger_entries
 WHERE account_id = :acct
 ORDER BY created_at DESC, id DESC
 LIMIT 10;
SELECT timezone FROM accounts WHERE id = :acct;
-- @daily_summary: run.sh puts the app's own app/src/usage/daily_summary.sql here, with these variables.
SELECT (completed_at AT TIME ZONE :tz::text)::date, sum(amount)
  FROM payment_attempts
 WHERE account_id = :acct AND status = 'succeeded' AND completed_at >= :from::timestamptz AND completed_at < :to::timestamptz
 GROUP BY 1;
