-- Tollgate's staff (docs/CONTRACT.md "Back office"): people with a Tollgate login and a staff role, made and
-- removed on the command line (`tollgate staff add|remove`). A role says what they may do under `/admin`.
CREATE TABLE staff (
    user_id  uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    role     text NOT NULL CHECK (role IN ('support', 'finance', 'admin')),
    added_at timestamptz NOT NULL DEFAULT now(),
    -- Who made them staff, as the staff log names people ("command line", or a staff email).
    added_by text NOT NULL CHECK (length(added_by) BETWEEN 1 AND 254)
);

-- What the staff did, across accounts (`/admin/log`): every back-office action and every change of who is
-- staff, with the reason given. An action on an account also writes that account's audit log. Append-only,
-- like the ledger: a mistake is corrected by a new action.
CREATE TABLE staff_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    -- Who, as they were named then (a staff email, or "command line").
    actor       text NOT NULL CHECK (length(actor) BETWEEN 1 AND 254),
    action      text NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
    account_id  uuid REFERENCES accounts (id),
    reason      text CHECK (length(reason) <= 500),
    details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX staff_log_time ON staff_log (at DESC, id DESC);
CREATE INDEX staff_log_account ON staff_log (account_id, at DESC) WHERE account_id IS NOT NULL;

CREATE FUNCTION staff_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'staff_log is append-only (% refused)', TG_OP;
END;
$$;
CREATE TRIGGER staff_log_no_update_or_delete
    BEFORE UPDATE OR DELETE ON staff_log
    FOR EACH ROW EXECUTE FUNCTION staff_log_append_only();
CREATE TRIGGER staff_log_no_truncate
    BEFORE TRUNCATE ON staff_log
    FOR EACH STATEMENT EXECUTE FUNCTION staff_log_append_only();

-- Staff actions on an account are in its audit log too, through the channel "Tollgate staff".
ALTER TABLE audit_events DROP CONSTRAINT audit_events_channel_check,
    ADD CONSTRAINT audit_events_channel_check
        CHECK (channel IN ('dashboard', 'checkout', 'api', 'chat', 'server', 'auto_top_up', 'staff'));
