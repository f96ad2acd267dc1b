-- Member budgets (docs/CONTRACT.md "Teams"): an Admin sets a monthly spend limit per member; a paid call by
-- that member's keys that would pass it is refused (402 "Member budget reached"), decided in the charge
-- transaction. `month_spend` is what the member's keys spent in `budget_month` (the 1st of a UTC month); it
-- is written only by the charge transaction, under the wallet lock every charge of the account takes, so
-- it is exact under any concurrency. A spend recorded in an earlier month counts as nothing this month.
ALTER TABLE memberships
    ADD COLUMN monthly_budget numeric(20, 8)
        CHECK (monthly_budget IS NULL OR (monthly_budget > 0 AND monthly_budget <= 1000000)),
    ADD COLUMN budget_month date NOT NULL DEFAULT date_trunc('month', now() AT TIME ZONE 'UTC')::date,
    ADD COLUMN month_spend numeric(20, 8) NOT NULL DEFAULT 0 CHECK (month_spend >= 0);

-- This month's spend so far, for members whose keys were used before budgets existed.
UPDATE memberships m
   SET month_spend = COALESCE((
       SELECT sum(r.cost_total) FROM requests r JOIN spend_keys k ON k.id = r.spend_key_id
        WHERE r.account_id = m.account_id AND k.created_by = m.user_id
          AND r.created_at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'), 0);

ALTER TABLE requests DROP CONSTRAINT requests_reject_reason_check;
ALTER TABLE requests ADD CONSTRAINT requests_reject_reason_check
    CHECK (reject_reason IN ('insufficient_balance', 'key_limit_reached', 'member_budget_reached'));
