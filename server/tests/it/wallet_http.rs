//! The wallet's server functions over HTTP: a deposit end to end, and another account's ids answering
//! "not found" — never data, never a change.

use crate::support::{spawn_app, NEW_CARD_FORM};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrations = "../migrations")]
async fn another_accounts_cards_attempts_and_receipts_are_not_found(pool: PgPool) {
    let alice = spawn_app(pool.clone()).await;
    alice.sign_up("alice@example.test", "correct-horse-1").await;
    let (_, draft) = alice.call("/api/wallet/add-funds", &NEW_CARD_FORM).await;
    let draft_id = draft["id"].as_str().unwrap().to_string();
    let (status, paid) = alice.call("/api/wallet/confirm", &[("attempt_id", &draft_id)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(paid["status"], "succeeded");
    assert_eq!(paid["balance_after"], json!("25.00000000"));
    let card_id = paid["payment_method_id"].as_str().unwrap().to_string();
    let (_, second_draft) =
        alice.call("/api/wallet/add-funds", &[("amount", "10"), ("card", &card_id)]).await;
    let second_draft_id = second_draft["id"].as_str().unwrap().to_string();
    let receipt = alice.get(&format!("/dashboard/wallet/receipts/{draft_id}")).await;
    assert_eq!(receipt.status(), StatusCode::OK);
    assert!(receipt.text().await.unwrap().contains("$25.00"));

    let mallory = spawn_app(pool.clone()).await;
    mallory.sign_up("mallory@example.test", "correct-horse-2").await;
    let not_found = json!("not_found");
    for (path, fields) in [
        ("/api/wallet/attempt", vec![("id", draft_id.as_str())]),
        ("/api/wallet/confirm", vec![("attempt_id", second_draft_id.as_str())]),
        ("/api/wallet/retry", vec![("attempt_id", draft_id.as_str())]),
        ("/api/wallet/add-funds", vec![("amount", "10"), ("card", card_id.as_str())]),
        ("/api/wallet/card/default", vec![("payment_method_id", card_id.as_str())]),
        ("/api/wallet/card/remove", vec![("payment_method_id", card_id.as_str())]),
        (
            "/api/wallet/card/update",
            vec![
                ("payment_method_id", card_id.as_str()),
                ("new_expiry", "01/31"),
                ("new_postal_code", "94107"),
            ],
        ),
    ] {
        let (_, answer) = mallory.call(path, &fields).await;
        assert_eq!(answer, not_found, "{path}");
    }
    let receipt = mallory.get(&format!("/dashboard/wallet/receipts/{draft_id}")).await;
    assert_eq!(receipt.status(), StatusCode::NOT_FOUND);
    assert!(!receipt.text().await.unwrap().contains("$25.00"));

    // Nothing of Alice's changed: one charge, her card as it was, her draft still a draft.
    let (charges, removed, expiry_year, second_status): (i64, bool, i32, String) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM sandbox_processor.charges),
                (SELECT removed_at IS NOT NULL FROM payment_methods WHERE id = $1::uuid),
                (SELECT expiry_year FROM payment_methods WHERE id = $1::uuid),
                (SELECT status FROM payment_attempts WHERE id = $2::uuid)",
    )
    .bind(&card_id)
    .bind(&second_draft_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((charges, removed, expiry_year, second_status.as_str()), (1, false, 2030, "draft"));
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_add_funds_input_gets_its_code_and_writes_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.sign_up("bad@example.test", "correct-horse-1").await;
    let huge = "9".repeat(10_000);
    for (field, value, code) in [
        ("amount", "9.99", "amount_out_of_range"),
        ("amount", "12.345", "amount_too_many_decimals"),
        ("amount", "1e3", "amount_invalid"),
        ("amount", huge.as_str(), "amount_invalid"),
        ("card_number", "4242 4242 4242 4241", "invalid_card_number"),
        ("card_number", huge.as_str(), "invalid_card_number"),
        ("expiry", "13/30", "invalid_expiry"),
        ("cvc", "12", "invalid_cvc"),
        ("postal_code", "<script>", "invalid_postal_code"),
        ("card", "not-a-uuid", "not_found"),
    ] {
        let mut fields: Vec<(&str, &str)> =
            NEW_CARD_FORM.iter().filter(|(k, _)| *k != field).copied().collect();
        fields.push((field, value));
        let (_, answer) = app.call("/api/wallet/add-funds", &fields).await;
        assert_eq!(answer, json!(code), "{field}={value:.20}");
    }
    let (attempts, cards, tokens): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM payment_attempts), (SELECT count(*) FROM payment_methods),
                (SELECT count(*) FROM sandbox_processor.cards)",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((attempts, cards, tokens), (0, 0, 0));
}

#[sqlx::test(migrations = "../migrations")]
async fn make_default_moves_the_badge_and_removing_the_default_promotes_the_oldest(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.sign_up("cards@example.test", "correct-horse-1").await;
    let mut ids = Vec::new();
    for number in ["4242 4242 4242 4242", "5555 5555 5555 4444"] {
        let mut fields: Vec<(&str, &str)> =
            NEW_CARD_FORM.iter().filter(|(k, _)| *k != "card_number").copied().collect();
        fields.push(("card_number", number));
        let (_, draft) = app.call("/api/wallet/add-funds", &fields).await;
        let (_, paid) =
            app.call("/api/wallet/confirm", &[("attempt_id", draft["id"].as_str().unwrap())]).await;
        ids.push(paid["payment_method_id"].as_str().unwrap().to_string());
    }
    let defaults = |cards: &serde_json::Value| -> Vec<(String, bool)> {
        cards
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["label"].as_str().unwrap().to_string(), c["is_default"] == true))
            .collect()
    };
    let (_, cards) = app.call("/api/wallet/cards", &[]).await;
    assert_eq!(defaults(&cards), [("Visa •••• 4242".into(), true), ("Mastercard •••• 4444".into(), false)]);

    let (status, _) = app.call("/api/wallet/card/default", &[("payment_method_id", &ids[1])]).await;
    assert_eq!(status, StatusCode::OK);
    let (_, cards) = app.call("/api/wallet/cards", &[]).await;
    assert_eq!(defaults(&cards), [("Mastercard •••• 4444".into(), true), ("Visa •••• 4242".into(), false)]);

    let (status, _) = app.call("/api/wallet/card/remove", &[("payment_method_id", &ids[1])]).await;
    assert_eq!(status, StatusCode::OK);
    let (_, cards) = app.call("/api/wallet/cards", &[]).await;
    assert_eq!(defaults(&cards), [("Visa •••• 4242".into(), true)]);
    // A removed card can't be charged any more.
    let (_, answer) = app.call("/api/wallet/add-funds", &[("amount", "10"), ("card", &ids[1])]).await;
    assert_eq!(answer, json!("not_found"));
}
