-- Webhooks and the audit log keyed by account, as the money tables are (docs/SCALING.md "Step 4"): each
-- row's keys hold its account, so on Citus an account's endpoints, events, deliveries and audit events
-- live on its node. webhook_deliveries gains the account of its event and endpoint (both the same
-- account: an event is only delivered to its own account's endpoints) and the foreign keys pair them.

-- audit_events: its id is a per-table sequence; the log pages by (account_id, id DESC), which the
-- index audit_events_account already serves, so the primary key follows the same order.
ALTER TABLE audit_events DROP CONSTRAINT audit_events_pkey;
ALTER TABLE audit_events ADD PRIMARY KEY (account_id, id);

-- webhook_deliveries: the account, filled from the endpoint before the keys it pairs move.
ALTER TABLE webhook_deliveries ADD COLUMN account_id uuid;
UPDATE webhook_deliveries d SET account_id = w.account_id FROM webhook_endpoints w WHERE w.id = d.endpoint_id;
ALTER TABLE webhook_deliveries ALTER COLUMN account_id SET NOT NULL;

ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_event_id_fkey;
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_endpoint_id_fkey;
ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_pkey;
ALTER TABLE webhook_events ADD PRIMARY KEY (account_id, id);
ALTER TABLE webhook_endpoints DROP CONSTRAINT webhook_endpoints_pkey;
ALTER TABLE webhook_endpoints ADD PRIMARY KEY (account_id, id);

ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_pkey;
ALTER TABLE webhook_deliveries ADD PRIMARY KEY (account_id, id);
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_event_id_endpoint_id_key;
ALTER TABLE webhook_deliveries ADD UNIQUE (account_id, event_id, endpoint_id);
ALTER TABLE webhook_deliveries
    ADD FOREIGN KEY (account_id, event_id) REFERENCES webhook_events (account_id, id),
    ADD FOREIGN KEY (account_id, endpoint_id) REFERENCES webhook_endpoints (account_id, id);
