-- The usage summary per local day and service (app/src/usage/db.rs `daily_summary`; bench/run.sh P3 explains
-- this same text). $1 account, $2..$3 local days (inclusive), $4 timezone. The quoted names are for sqlx's
-- compile-time check: `!` says the column is never NULL, `_` takes the Rust field's type.
SELECT d.day AS "day!: _", d.service_id AS "service!", sum(d.requests)::bigint AS "requests!", sum(d.cost) AS "cost!"
  FROM usage_daily d
 WHERE d.account_id = $1 AND d.day BETWEEN $2 AND $3
   AND EXISTS (SELECT 1 FROM accounts a WHERE a.id = $1 AND a.timezone = $4)
 GROUP BY 1, 2
HAVING sum(d.requests) > 0 OR sum(d.cost) > 0
UNION ALL
SELECT (r.bucket AT TIME ZONE $4)::date, r.service_id, sum(r.requests)::bigint, sum(r.cost)
  FROM usage_rollups r
 WHERE r.account_id = $1
   AND r.bucket >= ($2::date::timestamp AT TIME ZONE $4)
   AND r.bucket < (($3::date + 1)::timestamp AT TIME ZONE $4)
   AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = $1 AND a.timezone = $4)
 GROUP BY 1, 2
HAVING sum(r.requests) > 0 OR sum(r.cost) > 0
 ORDER BY 1, 2
