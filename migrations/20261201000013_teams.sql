-- Teams (docs/CONTRACT.md "Teams"): an account of kind 'team' has members with a role; a personal account
-- has exactly its owner. Everything account-scoped (wallet, cards, keys, usage) works unchanged on a team:
-- a key or a session acts for exactly one account.

ALTER TABLE accounts
    ADD COLUMN kind text NOT NULL DEFAULT 'personal' CHECK (kind IN ('personal', 'team')),
    -- The guide's prerequisite: off on a new team; until an Admin turns it on, Members can't add funds.
    ADD COLUMN members_can_fund boolean NOT NULL DEFAULT false,
    ADD CHECK (kind = 'team' OR NOT members_can_fund),
    ADD CHECK (length(name) BETWEEN 1 AND 254);

-- Who made a key or saved a card, so a Member manages their own and not others', and a removed member's
-- keys stop with the membership. Existing rows belong to the account's (only) owner.
ALTER TABLE spend_keys ADD COLUMN created_by uuid REFERENCES users (id);
UPDATE spend_keys k
   SET created_by = (SELECT m.user_id FROM memberships m
                      WHERE m.account_id = k.account_id AND m.role = 'owner'
                      ORDER BY m.created_at LIMIT 1);
ALTER TABLE spend_keys ALTER COLUMN created_by SET NOT NULL;
CREATE INDEX spend_keys_creator ON spend_keys (account_id, created_by);

-- A card's `added_by` comes from the attempt that saved it (`made_by`: the person on the wallet page, or the
-- creator of the key that asked; NULL for a hosted checkout, whose payer may not be a member).
ALTER TABLE payment_attempts ADD COLUMN made_by uuid REFERENCES users (id);
ALTER TABLE payment_methods ADD COLUMN added_by uuid REFERENCES users (id);
UPDATE payment_methods p
   SET added_by = (SELECT m.user_id FROM memberships m
                    WHERE m.account_id = p.account_id AND m.role = 'owner'
                    ORDER BY m.created_at LIMIT 1);

-- Invitations by link (no email is sent): single use, valid 7 days, revocable. Only the SHA-256 of the
-- link's token is stored, like a key's secret: the link is shown once, to the Admin who made it.
CREATE TABLE team_invitations (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id   uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_sha256 bytea NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
    role         text NOT NULL CHECK (role IN ('admin', 'member')),
    created_by   uuid NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    accepted_by  uuid REFERENCES users (id),
    accepted_at  timestamptz,
    revoked_at   timestamptz,
    CHECK ((accepted_by IS NULL) = (accepted_at IS NULL)),
    CHECK (accepted_at IS NULL OR revoked_at IS NULL)
);
CREATE INDEX team_invitations_account ON team_invitations (account_id, created_at DESC);
