//! The server's integration tests, as one test binary (the app links once): real HTTP against the real
//! router, real PostgreSQL (`#[sqlx::test]` gives each test a fresh migrated database), the sandbox
//! processor, and the real binary for the crash test. `support` starts the server for a test.

mod abuse_limits;
mod add_funds;
mod api_http;
mod auth_http;
mod auto_top_up;
mod back_office;
mod catalog;
#[cfg(feature = "test-hooks")]
mod crash_recovery;
mod database_restart;
mod disputes;
mod gateway;
mod holds;
mod http_hardening;
mod ledger;
mod login_flood;
mod login_limits;
mod mcp;
mod metering;
mod module_graph;
mod oauth;
mod page_cache;
mod promotional_credit;
mod query_nullability;
mod refunds;
mod requests_by_month;
mod schema_rules;
mod settings;
mod staff;
mod statements;
mod stripe_api;
mod stripe_payments;
mod support;
mod teams;
mod usage;
mod wallet_http;
mod webhooks;
