-- What a member made stops with their right to make it (docs/CONTRACT.md "Teams"): a webhook endpoint
-- records who added it, so removing that person from the team (or demoting them to a role that can't
-- manage webhooks) turns it off — "Disabled: the person who added it left the team" — until an Owner or
-- Admin turns it back on (and becomes the one it stops with).
ALTER TABLE webhook_endpoints
    ADD COLUMN created_by uuid REFERENCES users (id),
    ADD COLUMN disabled_at timestamptz,
    ADD COLUMN disabled_reason text CHECK (length(disabled_reason) BETWEEN 1 AND 200),
    ADD CHECK ((disabled_at IS NULL) = (disabled_reason IS NULL));

-- Endpoints added before: the person the audit log names for their "Add endpoint", else the account's
-- first Owner.
UPDATE webhook_endpoints w
   SET created_by = COALESCE(
        (SELECT e.actor_user_id FROM audit_events e
          WHERE e.account_id = w.account_id AND e.action = 'webhook_added' AND e.detail = w.url
            AND e.created_at <= w.created_at + interval '1 minute'
          ORDER BY e.created_at DESC LIMIT 1),
        (SELECT m.user_id FROM memberships m
          WHERE m.account_id = w.account_id AND m.role = 'owner' ORDER BY m.created_at LIMIT 1));

-- The sender counts each account's deliveries in flight (leased, pending) to keep it to two at once across
-- servers (docs/CONTRACT.md "Webhooks").
CREATE INDEX webhook_deliveries_leased ON webhook_deliveries (account_id) WHERE state = 'pending' AND lease IS NOT NULL;

-- Who made a team, so one person can't make teams without bound (at most 20 of their teams at once;
-- docs/CONTRACT.md "Teams"). Teams made before: their first Owner.
ALTER TABLE accounts ADD COLUMN created_by uuid REFERENCES users (id);
UPDATE accounts a
   SET created_by = (SELECT m.user_id FROM memberships m
                      WHERE m.account_id = a.id AND m.role = 'owner' ORDER BY m.created_at LIMIT 1)
 WHERE a.kind = 'team';
CREATE INDEX accounts_team_maker ON accounts (created_by) WHERE kind = 'team' AND deleted_at IS NULL;
