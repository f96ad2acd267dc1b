//! Tollgate's staff (docs/CONTRACT.md "Back office"): made and removed with the server binary, which needs
//! nothing but `DATABASE_URL`; every change is in the staff log.

use crate::support::database_url_of;
use sqlx::PgPool;
use std::process::Output;
use tollgate_core::accounts::store as auth_db;
use tollgate_core::staff;
use tollgate_domain::accounts::credentials::Email;
use tollgate_domain::staff::StaffRole;

/// Runs `tollgate <args>` with `DATABASE_URL` as its whole environment.
fn tollgate(pool: &PgPool, args: &str) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(args.split_whitespace())
        .env_clear()
        .env("DATABASE_URL", database_url_of(pool))
        .output()
        .unwrap()
}

fn said(output: &Output) -> (i32, String, String) {
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).trim().to_string(),
        String::from_utf8_lossy(&output.stderr).trim().to_string(),
    )
}

#[sqlx::test(migrations = "../migrations")]
async fn staff_are_added_changed_listed_and_removed_on_the_command_line_with_only_a_database(pool: PgPool) {
    let ana = auth_db::create_user_with_account(&pool, &Email::parse("ana@example.test").unwrap(), "x")
        .await
        .unwrap()
        .user_id;
    let (code, out, _) = said(&tollgate(&pool, "staff add Ana@Example.test --role finance"));
    assert_eq!((code, out.as_str()), (0, "ana@example.test is now staff (finance)"));
    assert_eq!(staff::role_of(&pool, ana).await.unwrap(), Some(StaffRole::Finance));

    let (code, out, _) = said(&tollgate(&pool, "staff add --role admin ana@example.test"));
    assert_eq!((code, out.as_str()), (0, "ana@example.test is now admin (was finance)"));
    let (code, out, _) = said(&tollgate(&pool, "staff add ana@example.test --role admin"));
    assert_eq!((code, out.as_str()), (0, "ana@example.test is already staff (admin)"));
    let (_, out, _) = said(&tollgate(&pool, "staff list"));
    assert_eq!(out, "ana@example.test\tadmin");

    let (code, out, _) = said(&tollgate(&pool, "staff remove ana@example.test"));
    assert_eq!((code, out.as_str()), (0, "ana@example.test is no longer staff"));
    assert_eq!(staff::role_of(&pool, ana).await.unwrap(), None);
    let (_, out, _) = said(&tollgate(&pool, "staff remove ana@example.test"));
    assert_eq!(out, "ana@example.test was not staff");
    let (_, out, _) = said(&tollgate(&pool, "staff list"));
    assert!(out.starts_with("no staff yet"));

    let log: Vec<(String, String, serde_json::Value)> =
        sqlx::query_as("SELECT actor, action, details FROM staff_log ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    let actions: Vec<&str> = log.iter().map(|(_, action, _)| action.as_str()).collect();
    assert_eq!(
        actions,
        ["staff.added", "staff.role_changed", "staff.removed"],
        "no row for what changed nothing"
    );
    assert!(log.iter().all(|(actor, _, _)| actor == "command line"));
    assert_eq!(log[1].2, serde_json::json!({"email": "ana@example.test", "from": "finance", "to": "admin"}));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_stranger_a_bad_role_or_a_bad_command_is_refused_and_changes_nothing(pool: PgPool) {
    let (code, _, err) = said(&tollgate(&pool, "staff add nobody@example.test --role support"));
    assert_eq!(code, 1);
    assert!(err.contains("No one has a Tollgate login with this email"), "{err}");
    auth_db::create_user_with_account(&pool, &Email::parse("bo@example.test").unwrap(), "x").await.unwrap();
    for (args, says) in [
        ("staff add bo@example.test --role owner", "unknown role \"owner\""),
        ("staff add bo@example.test", "usage: tollgate staff add"),
        ("staff add <script>@x --role admin", "<script>@x"),
        ("stafff list", "usage:"),
    ] {
        let (code, _, err) = said(&tollgate(&pool, args));
        assert_eq!(code, 2, "{args}");
        assert!(err.contains(says), "{args}: {err}");
    }
    let rows: (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM staff), (SELECT count(*) FROM staff_log)")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(rows, (0, 0));
}
