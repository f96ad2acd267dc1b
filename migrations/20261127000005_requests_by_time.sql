-- The usage page, `/v1/requests` and the CSV export read an account's calls by time range, newest first:
-- they page by (created_at, seq) — a backward scan of this index, with the cursor as a row comparison on
-- its leading columns — instead of scanning by seq alone.
CREATE INDEX requests_account_time ON requests (account_id, created_at, seq);
