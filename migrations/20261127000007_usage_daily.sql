-- Usage per local day of the account's own timezone (`accounts.timezone`), service and model: the level the
-- daily views read, so a 90-day summary reads ≈90 rows per service and model however busy the account is
-- (the 15-minute rollups hold ≈96 per day). Written in the same statement as the 15-minute rollup, inside the
-- charging transaction (which holds the wallet row lock); a timezone change takes the same lock and rebuilds
-- the account's rows from the 15-minute rollups, so the two levels always agree. A view in another timezone
-- (`/v1/usage?tz=…`) reads the 15-minute rollups, which are exact in every timezone.
CREATE TABLE usage_daily (
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    day        date NOT NULL,
    service_id text NOT NULL,
    model      text NOT NULL,
    requests   bigint NOT NULL DEFAULT 0 CHECK (requests >= 0),
    rejected   bigint NOT NULL DEFAULT 0 CHECK (rejected >= 0),
    cost       numeric(20, 8) NOT NULL DEFAULT 0 CHECK (cost >= 0),
    PRIMARY KEY (account_id, day, service_id, model)
);

-- Recomputes one account's daily rows from its 15-minute rollups in its current timezone. The caller holds
-- the account's wallet row lock (no charge can write rollups meanwhile).
CREATE FUNCTION rebuild_usage_daily(account uuid) RETURNS void LANGUAGE sql AS $$
    DELETE FROM usage_daily WHERE account_id = account;
    INSERT INTO usage_daily (account_id, day, service_id, model, requests, rejected, cost)
    SELECT r.account_id, (r.bucket AT TIME ZONE a.timezone)::date, r.service_id, r.model,
           sum(r.requests), sum(r.rejected), sum(r.cost)
      FROM usage_rollups r
      JOIN accounts a ON a.id = r.account_id
     WHERE r.account_id = account
     GROUP BY 1, 2, 3, 4;
$$;

SELECT rebuild_usage_daily(id) FROM accounts;
