-- Who holds a `POST /v1/wallet/fund` idempotency claim: a request that took over an abandoned claim gets a
-- new token, so the original request (if it was only slow) can no longer attach an attempt or release it.
ALTER TABLE api_idempotency ADD COLUMN claim_token uuid NOT NULL DEFAULT gen_random_uuid();
