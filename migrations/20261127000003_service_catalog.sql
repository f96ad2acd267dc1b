-- The service catalog (CONTRACT.md "Service catalog"): prices are data, editable without a deploy.
-- Prices per 1M tokens are whole cents (at most 2 decimals), so every token cost is exact at 8 decimals
-- (NUMERIC(20,8)); a per-request fee has at most 8 decimals. The catalog is global, not account data.

CREATE TABLE services (
    id         text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE service_models (
    service_id         text NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    model              text NOT NULL CHECK (model ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$'),
    input_per_million  numeric(20, 8) NOT NULL DEFAULT 0
        CHECK (input_per_million >= 0 AND input_per_million = round(input_per_million, 2)),
    output_per_million numeric(20, 8) NOT NULL DEFAULT 0
        CHECK (output_per_million >= 0 AND output_per_million = round(output_per_million, 2)),
    per_request        numeric(20, 8) NOT NULL DEFAULT 0 CHECK (per_request >= 0),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (service_id, model)
);

INSERT INTO services (id, name) VALUES
    ('openai', 'OpenAI'),
    ('anthropic', 'Anthropic'),
    ('exa', 'Exa'),
    ('open-meteo', 'Open-Meteo');

INSERT INTO service_models (service_id, model, input_per_million, output_per_million, per_request) VALUES
    ('openai', 'gpt-4o-mini', 0.15, 0.60, 0),
    ('anthropic', 'claude-haiku', 0.80, 4.00, 0),
    ('exa', 'search', 0, 0, 0.005),
    ('open-meteo', 'forecast', 0, 0, 0);
