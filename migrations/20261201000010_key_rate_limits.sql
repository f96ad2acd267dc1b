-- A spend key's "Rate limit" (docs/CONTRACT.md "Limits and account security"): requests per minute, NULL
-- for none. Calls are counted per key and UTC minute in `spend_key_minutes`, one upsert per call, so the
-- limit holds across every app server; the maintenance job deletes minutes that are over.
ALTER TABLE spend_keys
    ADD COLUMN rate_limit_per_minute integer CHECK (rate_limit_per_minute BETWEEN 1 AND 100000);

CREATE TABLE spend_key_minutes (
    spend_key_id uuid NOT NULL REFERENCES spend_keys (id) ON DELETE CASCADE,
    minute       timestamptz NOT NULL,
    calls        integer NOT NULL,
    PRIMARY KEY (spend_key_id, minute)
);
