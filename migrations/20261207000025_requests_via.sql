-- Which way a call came (docs/CONTRACT.md "Gateway"): `api`, charged by the caller through `POST /v1/requests`
-- or a hold's capture, or `gateway`, run by Tollgate itself. Existing calls all came through the API.
ALTER TABLE requests ADD COLUMN via text NOT NULL DEFAULT 'api' CHECK (via IN ('api', 'gateway'));
