-- The money tables' keys hold their account (docs/SCALING.md "Step 4"): every primary key and unique
-- constraint of wallets, ledger entries, saved cards, payment attempts and auto top-up jobs includes
-- `account_id`, and every foreign key between them pairs the two rows' `account_id`s. That is what a
-- database distributed by account (Citus) requires, so each of these checks can be made on one node; on
-- one PostgreSQL it also states a rule the code already keeps — an account's money rows only ever name
-- rows of the same account — where before a foreign key could have joined two accounts' rows.
-- server/tests/it/schema_rules.rs checks the rule for every table distributed by account.
--
-- A card's processor token and an attempt's idempotency key stay unique per account: both are made for one
-- account (the processor's token for one saved card, the server's key for one attempt).

-- Foreign keys into the tables being re-keyed go first.
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_wallet_id_fkey;
ALTER TABLE requests DROP CONSTRAINT requests_ledger_entry_id_fkey;
ALTER TABLE payment_attempts
    DROP CONSTRAINT payment_attempts_ledger_entry_id_fkey,
    DROP CONSTRAINT payment_attempts_payment_method_id_fkey;
ALTER TABLE auto_top_up_settings DROP CONSTRAINT auto_top_up_settings_payment_method_id_fkey;
ALTER TABLE api_idempotency DROP CONSTRAINT api_idempotency_attempt_id_fkey;
ALTER TABLE checkout_sessions DROP CONSTRAINT checkout_sessions_attempt_id_fkey;
ALTER TABLE auto_top_up_jobs DROP CONSTRAINT auto_top_up_jobs_attempt_id_fkey;

ALTER TABLE wallets DROP CONSTRAINT wallets_pkey, ADD PRIMARY KEY (account_id, id);
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_pkey, ADD PRIMARY KEY (account_id, id);
ALTER TABLE payment_methods
    DROP CONSTRAINT payment_methods_pkey, ADD PRIMARY KEY (account_id, id),
    DROP CONSTRAINT payment_methods_processor_token_key, ADD UNIQUE (account_id, processor_token);
ALTER TABLE payment_attempts
    DROP CONSTRAINT payment_attempts_pkey, ADD PRIMARY KEY (account_id, id),
    DROP CONSTRAINT payment_attempts_idempotency_key_key, ADD UNIQUE (account_id, idempotency_key);
ALTER TABLE auto_top_up_jobs
    DROP CONSTRAINT auto_top_up_jobs_pkey, ADD PRIMARY KEY (account_id, id),
    DROP CONSTRAINT auto_top_up_jobs_attempt_id_key, ADD UNIQUE (account_id, attempt_id);

-- Settling an attempt (the card processor's answer, start-up recovery, the auto top-up worker) names it by
-- its id alone: an index for those lookups. Non-unique indexes are allowed on a distributed table.
CREATE INDEX payment_attempts_id ON payment_attempts (id);
CREATE INDEX auto_top_up_jobs_attempt ON auto_top_up_jobs (attempt_id);
-- Every ledger read is by account (one wallet per account): the index by wallet alone goes.
DROP INDEX ledger_entries_wallet;

ALTER TABLE ledger_entries
    ADD FOREIGN KEY (account_id, wallet_id) REFERENCES wallets (account_id, id) ON DELETE RESTRICT;
ALTER TABLE requests
    ADD FOREIGN KEY (account_id, ledger_entry_id) REFERENCES ledger_entries (account_id, id);
ALTER TABLE payment_attempts
    ADD FOREIGN KEY (account_id, ledger_entry_id) REFERENCES ledger_entries (account_id, id),
    ADD FOREIGN KEY (account_id, payment_method_id) REFERENCES payment_methods (account_id, id);
ALTER TABLE auto_top_up_settings
    ADD FOREIGN KEY (account_id, payment_method_id) REFERENCES payment_methods (account_id, id);
ALTER TABLE api_idempotency
    ADD FOREIGN KEY (account_id, attempt_id) REFERENCES payment_attempts (account_id, id);
ALTER TABLE checkout_sessions
    ADD FOREIGN KEY (account_id, attempt_id) REFERENCES payment_attempts (account_id, id);
ALTER TABLE auto_top_up_jobs
    ADD FOREIGN KEY (account_id, attempt_id) REFERENCES payment_attempts (account_id, id);
