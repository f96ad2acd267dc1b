-- Holds (docs/CONTRACT.md "Holds"): the most a call in progress can cost, reserved from the wallet before
-- the call runs, then captured (what it really cost, charged as a paid call), voided, or left to expire.
-- A hold counts against the wallet's available money, its key's spend limit and its maker's monthly budget
-- from its creation until it is resolved or its `expires_at` passes — exactly then, whether or not the
-- maintenance pass has marked it `expired` yet. Every change to a hold is made under its wallet's row lock,
-- the lock a batch of paid calls takes.

-- How many of the wallet's holds are still `held` (expired by time or not): a batch of paid calls reads the
-- locked wallet row anyway, and only a wallet with open holds costs it a statement more (the sums below).
ALTER TABLE wallets ADD COLUMN open_holds integer NOT NULL DEFAULT 0 CHECK (open_holds >= 0);

CREATE TABLE holds (
    account_id      uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    id              uuid NOT NULL,
    spend_key_id    uuid NOT NULL REFERENCES spend_keys (id),
    service_id      text NOT NULL,
    model           text,
    amount          numeric(20, 8) NOT NULL CHECK (amount > 0),
    -- What the hold was asked for, so a retry under the same Idempotency-Key can be told from another hold.
    expires_in      integer NOT NULL CHECK (expires_in BETWEEN 1 AND 86400),
    idempotency_key text CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    status          text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'captured', 'voided', 'expired')),
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    resolved_at     timestamptz,
    -- What a capture charged (the rest was released), and the paid call it was recorded as.
    captured        numeric(20, 8) CHECK (captured >= 0 AND captured <= amount),
    request_id      uuid,
    PRIMARY KEY (account_id, id),
    CHECK ((status = 'held') = (resolved_at IS NULL)),
    CHECK ((status = 'captured') = (captured IS NOT NULL))
);
-- The open holds of a wallet (the sums a decision reads) and the ones due to be marked expired.
CREATE INDEX holds_open ON holds (account_id, expires_at) WHERE status = 'held';
CREATE INDEX holds_due ON holds (expires_at) WHERE status = 'held';
CREATE UNIQUE INDEX holds_idempotency ON holds (account_id, spend_key_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
