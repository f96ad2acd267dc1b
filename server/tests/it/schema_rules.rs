//! The schema stays ready to be distributed by account (docs/SCALING.md "Step 4"): every table is named
//! here as distributed by `account_id`, a reference table, or not by account — a new table that is none
//! of these fails — and every distributed table carries a non-null `account_id`, so its rows can live on
//! their account's node. Its keys follow the rules Citus enforces: a unique key holds the account, and a
//! foreign key between two distributed tables pairs their accounts (the few not re-keyed yet are listed).

use sqlx::PgPool;

/// Tables whose rows belong to one account (`accounts` itself by its `id`).
const BY_ACCOUNT: &[&str] = &[
    "accounts",
    "adjustments",
    "api_idempotency",
    "audit_events",
    "auto_top_up_jobs",
    "auto_top_up_settings",
    "billing_details",
    "chat_top_up_guards",
    "checkout_sessions",
    "disputes",
    "holds",
    "ledger_entries",
    "memberships",
    "oauth_codes",
    "oauth_tokens",
    "payment_attempts",
    "payment_methods",
    "processor_customers",
    "promotional_grants",
    "refunds",
    "request_idempotency",
    "requests",
    "spend_keys",
    "team_invitations",
    "usage_daily",
    "usage_rollups",
    "wallets",
    "webhook_deliveries",
    "webhook_endpoints",
    "webhook_events",
];

/// Copied to every node: the catalog, the people (a person may belong to several accounts; people are few
/// and rarely written next to calls), the chat apps (they register themselves, before any account) and
/// Tollgate's staff (a few people, who look across accounts).
const REFERENCE: &[&str] = &["services", "service_models", "users", "oauth_clients", "staff"];

/// Not by account, each for its reason.
const NOT_BY_ACCOUNT: &[(&str, &str)] = &[
    ("user_sessions", "a person's sessions, before an account is chosen"),
    ("throttle_events", "limits count by address or email, before any account is known"),
    ("throttle_blocks", "as throttle_events"),
    ("spend_key_minutes", "per key (the key names its account); co-located by key"),
    ("staff_log", "what the staff did across accounts; each action on an account is in its audit log too"),
    (
        "processor_events",
        "the card processor's events, deduplicated by its event id before any account is known",
    ),
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

/// A primary key, unique constraint or index, or foreign key of a table, with its columns in order.
#[derive(sqlx::FromRow)]
struct Key {
    table: String,
    name: String,
    kind: String,
    columns: Vec<String>,
    referenced: Option<String>,
    referenced_columns: Vec<String>,
}

/// What a table distributed by account may not have (docs/SCALING.md "Step 4"), as Citus enforces it: a
/// primary key or unique constraint without `account_id` (one node can't check it), or a foreign key to
/// another distributed table that doesn't pair the two `account_id`s (the rows would live on two nodes), or
/// a foreign key to a table that is neither distributed nor a reference table.
async fn distribution_breaches(pool: &PgPool) -> Vec<String> {
    let keys: Vec<Key> = sqlx::query_as(
        "SELECT t.relname::text AS table, c.conname::text AS name, c.contype::text AS kind,
                ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a
                        ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i) AS columns,
                r.relname::text AS referenced,
                ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a
                        ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i) AS referenced_columns
           FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace
           LEFT JOIN pg_class r ON r.oid = c.confrelid
          WHERE n.nspname = 'public' AND NOT t.relispartition AND c.contype IN ('p', 'u', 'f')
          UNION ALL
         SELECT t.relname::text, i.relname::text, 'u',
                ARRAY(SELECT a.attname::text FROM unnest(x.indkey::int2[]) k JOIN pg_attribute a
                        ON a.attrelid = x.indrelid AND a.attnum = k),
                NULL, ARRAY[]::text[]
           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace
          WHERE n.nspname = 'public' AND NOT t.relispartition AND x.indisunique
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
          ORDER BY 1, 2",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let distribution_column = |table: &str| if table == "accounts" { "id" } else { "account_id" };
    let mut breaches = Vec::new();
    for Key { table, name, kind, columns, referenced, referenced_columns } in keys {
        if !BY_ACCOUNT.contains(&table.as_str()) {
            continue;
        }
        let own = distribution_column(&table);
        match (kind.as_str(), referenced.as_deref()) {
            ("p" | "u", _) if !columns.iter().any(|c| c == own) => breaches.push(format!("{table}.{name}")),
            ("f", Some(other)) if BY_ACCOUNT.contains(&other) => {
                let paired = columns
                    .iter()
                    .zip(&referenced_columns)
                    .any(|(mine, theirs)| mine == own && theirs == distribution_column(other));
                if !paired {
                    breaches.push(format!("{table}.{name}"));
                }
            }
            ("f", Some(other)) if !REFERENCE.contains(&other) => breaches.push(format!("{table}.{name}")),
            _ => {}
        }
    }
    breaches
}

/// The keys that don't hold the account yet; docs/SCALING.md "Step 4" says how each group is re-keyed. The
/// list must stay exact: a new breach fails, and so does one that was fixed without leaving the list.
const NOT_YET_BY_ACCOUNT: &[&str] = &[
    // Found by a secret alone (a spend key's hash, a chat app's code or token, an invitation's token, a
    // checkout's id): these need a lookup table distributed by the secret that names the account.
    "spend_keys.spend_keys_pkey",
    "spend_keys.spend_keys_secret_sha256_key",
    "oauth_codes.oauth_codes_pkey",
    "oauth_tokens.oauth_tokens_pkey",
    "team_invitations.team_invitations_pkey",
    "team_invitations.team_invitations_token_sha256_key",
    "checkout_sessions.checkout_sessions_pkey",
    // Foreign keys to those, which pair the accounts once their keys hold them.
    "audit_events.audit_events_actor_key_id_fkey",
    "auto_top_up_settings.auto_top_up_settings_set_by_key_id_fkey",
    "chat_top_up_guards.chat_top_up_guards_spend_key_id_fkey",
    "holds.holds_spend_key_id_fkey",
    "oauth_codes.oauth_codes_spend_key_id_fkey",
    "oauth_tokens.oauth_tokens_spend_key_id_fkey",
    "payment_attempts.payment_attempts_checkout_id_fkey",
    "payment_attempts.payment_attempts_spend_key_id_fkey",
    "requests.requests_spend_key_id_fkey",
];

#[sqlx::test(migrations = "../migrations")]
async fn every_key_of_a_distributed_table_holds_its_account(pool: PgPool) {
    let breaches = distribution_breaches(&pool).await;
    let new: Vec<_> = breaches.iter().filter(|b| !NOT_YET_BY_ACCOUNT.contains(&b.as_str())).collect();
    let fixed: Vec<_> = NOT_YET_BY_ACCOUNT.iter().filter(|b| !breaches.contains(&b.to_string())).collect();
    assert!(new.is_empty(), "keys of distributed tables without their account:\n{new:#?}");
    assert!(fixed.is_empty(), "these now hold their account; take them off NOT_YET_BY_ACCOUNT:\n{fixed:#?}");
}

/// The migration that keyed webhooks and the audit log by account gives every delivery its event's and
/// endpoint's account, and from then on a delivery can't pair one account's event with another's endpoint.
#[sqlx::test(migrations = false)]
async fn webhook_deliveries_take_their_endpoints_account(pool: PgPool) {
    let (before, this) = crate::support::migration_files("webhooks_and_audit_by_account");
    crate::support::run_migration_files(&pool, &before).await;
    let accounts: Vec<uuid::Uuid> =
        sqlx::query_scalar("INSERT INTO accounts (name) VALUES ('one'), ('two') RETURNING id")
            .fetch_all(&pool)
            .await
            .unwrap();
    for (n, account) in accounts.iter().enumerate() {
        sqlx::query(
            "WITH w AS (INSERT INTO webhook_endpoints (account_id, url, events, secret)
                        VALUES ($1, 'https://example.test/hook', '{funds.added}', 'whsec_x') RETURNING id),
                  e AS (INSERT INTO webhook_events (id, account_id, type, data)
                        VALUES ($2, $1, 'funds.added', '{}') RETURNING id)
             INSERT INTO webhook_deliveries (event_id, endpoint_id) SELECT e.id, w.id FROM e, w",
        )
        .bind(account)
        .bind(format!("evt_{n:032}"))
        .execute(&pool)
        .await
        .unwrap();
    }
    crate::support::run_migration_files(&pool, &[this]).await;

    let unpaired: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id
          JOIN webhook_events e ON e.id = d.event_id
         WHERE d.account_id IS DISTINCT FROM w.account_id OR d.account_id IS DISTINCT FROM e.account_id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM webhook_deliveries").fetch_one(&pool).await.unwrap();
    assert_eq!((count, unpaired), (2, 0), "both deliveries kept, each with its endpoint's account");

    let crossed = sqlx::query(
        "INSERT INTO webhook_deliveries (account_id, event_id, endpoint_id)
         SELECT $1, 'evt_00000000000000000000000000000000',
                (SELECT id FROM webhook_endpoints WHERE account_id = $2)",
    )
    .bind(accounts[1])
    .bind(accounts[1])
    .execute(&pool)
    .await;
    assert!(crossed.is_err(), "account two's delivery of account one's event is refused");
}
