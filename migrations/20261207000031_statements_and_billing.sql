-- Statements and receipts (docs/ARCHITECTURE.md "Statements").

-- Settings → "Billing details": who the receipts and statements are made out to. One row per account, made
-- the first time the details are saved; the tax ID's type and value come together or not at all.
CREATE TABLE billing_details (
    account_id   uuid PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    legal_name   text NOT NULL CHECK (char_length(legal_name) BETWEEN 1 AND 200),
    address      text NOT NULL CHECK (char_length(address) <= 500),
    country      text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    tax_id_type  text CHECK (tax_id_type ~ '^[a-z]{2}_[a-z]{2,5}$'),
    tax_id_value text CHECK (char_length(tax_id_value) BETWEEN 1 AND 40),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((tax_id_type IS NULL) = (tax_id_value IS NULL))
);

-- Receipt numbers: 1, 2, 3 … per account in the order its deposits succeeded, without gaps. The wallet
-- counts the receipts it issued; a deposit takes the next number in the transaction that credits it (which
-- holds the wallet's row lock), so a number is used exactly when the deposit is.
ALTER TABLE wallets ADD COLUMN receipts_issued integer NOT NULL DEFAULT 0 CHECK (receipts_issued >= 0);
ALTER TABLE payment_attempts ADD COLUMN receipt_number integer CHECK (receipt_number > 0);

WITH numbered AS (
    SELECT id, row_number() OVER (PARTITION BY account_id ORDER BY completed_at, id) AS n
      FROM payment_attempts
     WHERE status = 'succeeded'
)
UPDATE payment_attempts a SET receipt_number = numbered.n FROM numbered WHERE a.id = numbered.id;

UPDATE wallets w
   SET receipts_issued = counted.n
  FROM (SELECT account_id, count(*) AS n FROM payment_attempts WHERE status = 'succeeded' GROUP BY account_id) counted
 WHERE counted.account_id = w.account_id;

ALTER TABLE payment_attempts ADD CHECK ((status = 'succeeded') = (receipt_number IS NOT NULL));
CREATE UNIQUE INDEX payment_attempts_receipt_number ON payment_attempts (account_id, receipt_number);

