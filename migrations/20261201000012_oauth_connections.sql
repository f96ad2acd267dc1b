-- Connecting a chat app with OAuth 2.1 (docs/CONTRACT.md "Chat (MCP)", docs/ARCHITECTURE.md "Connecting a
-- chat app"). Every secret here — client secrets, authorization codes, access and refresh tokens — is
-- stored as its SHA-256 only, like spend keys: each is 192 random bits, so the hash can't be reversed.

-- Clients registered by chat apps themselves (RFC 7591). Public clients (token_endpoint_auth_method
-- 'none') have no secret and rely on PKCE.
CREATE TABLE oauth_clients (
    client_id                  text PRIMARY KEY CHECK (client_id ~ '^tgc_[0-9a-f]{32}$'),
    client_secret_sha256       bytea CHECK (length(client_secret_sha256) = 32),
    client_name                text NOT NULL CHECK (length(client_name) BETWEEN 1 AND 100),
    redirect_uris              text[] NOT NULL CHECK (cardinality(redirect_uris) BETWEEN 1 AND 10),
    token_endpoint_auth_method text NOT NULL
        CHECK (token_endpoint_auth_method IN ('none', 'client_secret_post', 'client_secret_basic')),
    created_at                 timestamptz NOT NULL DEFAULT now(),
    CHECK ((token_endpoint_auth_method = 'none') = (client_secret_sha256 IS NULL))
);

-- A chat connection is a spend key made on the consent page for one client: the Keys page lists it with
-- the tag "Chat connection", and its Pause/Revoke end the connection (its tokens act as the key).
ALTER TABLE spend_keys ADD COLUMN oauth_client_id text REFERENCES oauth_clients (client_id) ON DELETE SET NULL;

-- Authorization codes: single use, 5 minutes, bound to the client, the exact redirect URI and the PKCE
-- challenge (S256). A second use of a code revokes what the first use issued (RFC 6749 §4.1.2).
CREATE TABLE oauth_codes (
    code_sha256    bytea PRIMARY KEY CHECK (length(code_sha256) = 32),
    account_id     uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    client_id      text NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
    spend_key_id   uuid NOT NULL REFERENCES spend_keys (id) ON DELETE CASCADE,
    redirect_uri   text NOT NULL,
    code_challenge text NOT NULL CHECK (code_challenge ~ '^[A-Za-z0-9_-]{43}$'),
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz
);

-- Access tokens (1 hour) and refresh tokens (30 days, rotated: each is used once, and a used one presented
-- again revokes the whole connection's tokens — a sign it was stolen).
CREATE TABLE oauth_tokens (
    token_sha256 bytea PRIMARY KEY CHECK (length(token_sha256) = 32),
    kind         text NOT NULL CHECK (kind IN ('access', 'refresh')),
    account_id   uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    client_id    text NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
    spend_key_id uuid NOT NULL REFERENCES spend_keys (id) ON DELETE CASCADE,
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (kind = 'refresh' OR used_at IS NULL)
);
CREATE INDEX oauth_tokens_connection ON oauth_tokens (spend_key_id);
CREATE INDEX oauth_tokens_expiry ON oauth_tokens (expires_at);
