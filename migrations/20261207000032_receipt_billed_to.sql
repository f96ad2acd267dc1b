-- A receipt is made out to the billing details the account had when its deposit succeeded (docs/CONTRACT.md
-- "Statements"): a copy kept with the attempt, so editing them later changes no receipt already issued.
-- `{"legal_name", "address", "country", "tax_id": {"kind", "value"} | null}`; NULL when there were none.
ALTER TABLE payment_attempts ADD COLUMN billed_to jsonb
    CHECK (billed_to IS NULL OR (status = 'succeeded' AND jsonb_typeof(billed_to) = 'object'));
