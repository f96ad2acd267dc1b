//! The schema stays ready to be distributed by account (docs/SCALING.md "Step 4"): every table is named
//! here as distributed by `account_id`, a reference table, or not by account — a new table that is none
//! of these fails — and every distributed table carries a non-null `account_id`, so its rows can live on
//! their account's node.

use sqlx::PgPool;

/// Tables whose rows belong to one account (`accounts` itself by its `id`).
const BY_ACCOUNT: &[&str] = &[
    "accounts",
    "api_idempotency",
    "audit_events",
    "auto_top_up_jobs",
    "auto_top_up_settings",
    "chat_top_up_guards",
    "checkout_sessions",
    "ledger_entries",
    "memberships",
    "oauth_codes",
    "oauth_tokens",
    "payment_attempts",
    "payment_methods",
    "request_idempotency",
    "requests",
    "spend_keys",
    "team_invitations",
    "usage_daily",
    "usage_rollups",
    "wallets",
    "webhook_endpoints",
    "webhook_events",
];

/// The catalog: the same on every node.
const REFERENCE: &[&str] = &["services", "service_models"];

/// Not by account, each for its reason.
const NOT_BY_ACCOUNT: &[(&str, &str)] = &[
    ("users", "a person may belong to several accounts"),
    ("user_sessions", "a person's sessions, before an account is chosen"),
    ("oauth_clients", "chat apps register themselves, before any account consents"),
    ("throttle_events", "limits count by address or email, before any account is known"),
    ("throttle_blocks", "as throttle_events"),
    ("spend_key_minutes", "per key (the key names its account); co-located by key"),
    ("webhook_deliveries", "per event and endpoint (both name their account)"),
];

#[sqlx::test(migrations = "../migrations")]
async fn every_table_is_distributed_by_account_or_says_why_not(pool: PgPool) {
    let tables: Vec<(String, Option<bool>)> = sqlx::query_as(
        "SELECT c.relname::text,
                (SELECT a.attnotnull FROM pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attname = 'account_id' AND NOT a.attisdropped)
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
            AND c.relname <> '_sqlx_migrations'
          ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut problems = Vec::new();
    for (table, account_id_not_null) in &tables {
        let named = BY_ACCOUNT.contains(&table.as_str())
            || REFERENCE.contains(&table.as_str())
            || NOT_BY_ACCOUNT.iter().any(|(t, _)| t == table);
        if !named {
            problems.push(format!("{table}: not named as by account, reference or not by account"));
        }
        if BY_ACCOUNT.contains(&table.as_str()) && table != "accounts" && *account_id_not_null != Some(true) {
            problems.push(format!("{table}: distributed by account but has no NOT NULL account_id"));
        }
    }
    for table in BY_ACCOUNT.iter().chain(REFERENCE).chain(NOT_BY_ACCOUNT.iter().map(|(t, _)| t)) {
        if !tables.iter().any(|(t, _)| t == table) {
            problems.push(format!("{table}: named here but not in the schema"));
        }
    }
    assert!(problems.is_empty(), "the schema breaks the distribution rule:\n{}", problems.join("\n"));
}
