-- Which browser sessions belong to which user (docs/CONTRACT.md "Limits and account security"), so that
-- "Sign out other sessions" and a password change can end all but the current one. The session itself
-- lives in tower-sessions' table (`tower_sessions.session`, created by the server at start-up); this is
-- only the index from a user to its session ids. Rows whose session is gone, or older than the 30-day
-- absolute lifetime, are deleted by the maintenance job.
CREATE TABLE user_sessions (
    session_id text PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);
