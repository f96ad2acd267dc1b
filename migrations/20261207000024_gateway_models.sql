-- The gateway (docs/CONTRACT.md "Gateway") holds the most a model's call can cost before it runs: its input
-- counted from the request and, when the caller names no limit, the model's maximum output at the output
-- price. So each model the gateway runs states that maximum.
ALTER TABLE service_models ADD COLUMN max_output_tokens integer CHECK (max_output_tokens > 0);
UPDATE service_models SET max_output_tokens = 16384 WHERE service_id = 'openai' AND model = 'gpt-4o-mini';
UPDATE service_models SET max_output_tokens = 8192 WHERE service_id = 'anthropic' AND model = 'claude-haiku';
