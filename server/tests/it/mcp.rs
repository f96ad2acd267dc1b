//! The chat channel (`/mcp`) over HTTP as a chat app speaks it (JSON-RPC `tools/call`, stateless): the
//! three top-up outcomes of docs/CONTRACT.md "Chat (MCP)", declines, the duplicate guard and idempotency
//! under concurrency, permission, bad arguments that write nothing, and answers equal to `/v1`'s. (The
//! official MCP SDKs drive the same server in `make test`: end2end/mcp/.)

use crate::support::{balance_of, save_card, spawn_app, TestApp, ADDRESS_CHECKED, VISA};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::PgPool;
use tollgate_core::accounts::store as auth_db;
use tollgate_core::keys::db::StatusChange;
use tollgate_domain::accounts::credentials::Email;
use tollgate_domain::keys::settings::KeySettings;
use uuid::Uuid;

struct Chat {
    account: Uuid,
    secret: String,
    key_id: Uuid,
}

async fn connection(app: &TestApp, email: &str, allow_funding: bool) -> Chat {
    let account = auth_db::create_user_with_account(&app.pool, &Email::parse(email).unwrap(), "x")
        .await
        .unwrap()
        .account_id;
    let settings = KeySettings::parse("Claude", "", "daily", &[], allow_funding, "1000").unwrap();
    let created = crate::support::owner_key(&app.pool, account, &settings).await.unwrap();
    Chat { account, secret: created.secret, key_id: created.key.id }
}

async fn processor(
    app: &TestApp,
) -> std::sync::Arc<dyn tollgate_core::payments::processor::PaymentProcessor> {
    server::startup::payments::processor(&app.pool, &crate::support::test_config(&[])).await.unwrap()
}

/// An answer of `/mcp`.
struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

/// A JSON-RPC message to `/mcp` with `secret` as the bearer credential.
async fn rpc(base: &str, secret: Option<&str>, message: Value) -> Answer {
    let mut req = reqwest::Client::new()
        .post(format!("{base}/mcp"))
        .header("Accept", "application/json, text/event-stream")
        .json(&message);
    if let Some(secret) = secret {
        req = req.bearer_auth(secret);
    }
    let res = req.send().await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    Answer { status, headers, body: res.json().await.unwrap_or(Value::Null) }
}

/// Calls a tool; the result (`content`, `structuredContent`, `isError`).
async fn tool(base: &str, secret: &str, name: &str, arguments: Value) -> Value {
    let message = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": name, "arguments": arguments}});
    let answer = rpc(base, Some(secret), message).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.body["result"].clone()
}

fn is_error(result: &Value) -> bool {
    result["isError"] == json!(true)
}

fn sentence(result: &Value) -> String {
    result["content"][0]["text"].as_str().unwrap_or_default().to_string()
}

async fn charges(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM sandbox_processor.charges").fetch_one(&app.pool).await.unwrap()
}

async fn attempts(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM payment_attempts").fetch_one(&app.pool).await.unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn without_a_usable_credential_mcp_answers_401_with_the_resource_metadata_challenge(pool: PgPool) {
    let app = spawn_app(pool).await;
    let chat = connection(&app, "a@example.test", true).await;
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    crate::support::change_key(&app.pool, chat.account, chat.key_id, StatusChange::Revoke).await.unwrap();
    for secret in [None, Some("tg_sk_not-a-key"), Some("Basic abc"), Some(chat.secret.as_str())] {
        let Answer { status, headers, body } = rpc(&app.base, secret, list.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{secret:?}");
        let challenge = headers["www-authenticate"].to_str().unwrap();
        let expected =
            format!("Bearer resource_metadata=\"{}/.well-known/oauth-protected-resource\"", app.base);
        assert_eq!(challenge, expected);
        assert!(body["error"].is_string(), "{body}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn the_six_tools_are_listed_with_object_schemas_and_descriptions(pool: PgPool) {
    let app = spawn_app(pool).await;
    let chat = connection(&app, "a@example.test", true).await;
    let Answer { status, body, .. } =
        rpc(&app.base, Some(&chat.secret), json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})).await;
    assert_eq!(status, StatusCode::OK);
    let tools = body["result"]["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["get_balance", "list_payment_methods", "add_funds", "get_usage", "list_requests", "ask_model"]
    );
    for tool in tools {
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
        assert!(tool["description"].as_str().unwrap().len() > 60, "{tool}");
    }
    let add_funds = &tools[2]["inputSchema"]["properties"];
    for argument in ["amount", "payment_method_id", "idempotency_key", "confirm_duplicate"] {
        assert!(add_funds[argument].is_object(), "{argument} in {add_funds}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn add_funds_answers_the_guides_three_outcomes_and_the_balance_is_new_at_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let chat = connection(&app, "a@example.test", true).await;
    // No amount: the balance, the cards (none) and the range.
    let result = tool(&app.base, &chat.secret, "add_funds", json!({})).await;
    assert_eq!(
        result["structuredContent"],
        json!({"status": "needs_amount", "balance": "0.00", "payment_methods": [],
               "minimum": "10.00", "maximum": "10000.00"})
    );
    // An amount, no saved card: a checkout link.
    let result = tool(&app.base, &chat.secret, "add_funds", json!({"amount": "25"})).await;
    assert!(!is_error(&result));
    let url = result["structuredContent"]["checkout_url"].as_str().unwrap().to_string();
    assert!(url.starts_with(&format!("{}/checkout/cs_", app.base)), "{url}");
    assert_eq!(result["structuredContent"]["status"], "requires_checkout");
    // With a saved card: charged, and the new balance, which get_balance tells right after.
    save_card(&app.pool, &*processor(&app).await, VISA, chat.account).await;
    let result = tool(&app.base, &chat.secret, "add_funds", json!({"amount": "25"})).await;
    let answer = &result["structuredContent"];
    assert_eq!(answer["status"], "completed", "{result}");
    assert_eq!((answer["amount"].as_str(), answer["balance"].as_str()), (Some("25.00"), Some("35.00")));
    assert_eq!(answer["payment_method"], "Visa •••• 4242");
    assert_eq!(sentence(&result), "Added $25.00 with Visa •••• 4242. The balance is now $35.00.");
    let balance = tool(&app.base, &chat.secret, "get_balance", json!({})).await;
    assert_eq!(
        balance["structuredContent"],
        json!({"balance": "35.00", "held": "0.00", "available": "35.00", "low_balance": false, "paid": "35.00", "promotional": "0.00", "promotional_expiring": []})
    );
    assert_eq!(sentence(&balance), "Your wallet balance is $35.00.");
    // With auto top-up on, the answer says what it will do.
    let owner = crate::support::owner_actor(&app.pool, chat.account).await;
    let rule = tollgate_domain::payments::auto_top_up::AutoTopUpRule::parse("5", "25", "100").unwrap();
    let turn_on = tollgate_core::payments::auto_top_up::settings::Change::TurnOn { rule, card: None };
    tollgate_core::payments::auto_top_up::settings::change(&app.pool, &owner, turn_on).await.unwrap();
    let balance = tool(&app.base, &chat.secret, "get_balance", json!({})).await;
    assert_eq!(
        balance["structuredContent"],
        json!({"balance": "35.00", "held": "0.00", "available": "35.00", "low_balance": false, "paid": "35.00", "promotional": "0.00", "promotional_expiring": []})
    );
    assert_eq!(
        sentence(&balance),
        "Your wallet balance is $35.00. Auto top-up is on: when your balance falls below $5.00, we charge Visa \
         •••• 4242 to bring it back to $25.00, up to $100.00 a month and 3 times a day."
    );
    let cards = tool(&app.base, &chat.secret, "list_payment_methods", json!({})).await;
    let card = &cards["structuredContent"]["payment_methods"][0];
    assert_eq!((card["label"].as_str(), card["is_default"].as_bool()), (Some("Visa •••• 4242"), Some(true)));
    assert_eq!(card["has_error"], false);
    // Now the no-amount answer lists the card.
    let result = tool(&app.base, &chat.secret, "add_funds", json!({})).await;
    assert_eq!(result["structuredContent"]["payment_methods"][0]["label"], "Visa •••• 4242");
    assert_eq!(result["structuredContent"]["balance"], "35.00");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_declined_card_answers_the_reason_and_where_to_fix_it_and_charges_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let chat = connection(&app, "a@example.test", true).await;
    // Saved with billing postal code 10001: declined for its address (its first deposit too).
    save_card(&app.pool, &*processor(&app).await, ADDRESS_CHECKED, chat.account).await;
    for _ in 0..2 {
        // Declined twice in a row: a decline releases the duplicate guard, so asking again is no duplicate.
        let result = tool(&app.base, &chat.secret, "add_funds", json!({"amount": "25.00"})).await;
        assert!(is_error(&result), "{result}");
        let answer = &result["structuredContent"];
        assert_eq!(answer["status"], "failed");
        assert_eq!(answer["decline_code"], "incorrect_address");
        assert_eq!(
            answer["message"],
            "The billing address doesn't match your card. Update the billing postal code or use another card."
        );
        assert_eq!(answer["fix_url"], format!("{}/dashboard/wallet", app.base));
        assert!(sentence(&result).contains("/dashboard/wallet"), "{result}");
    }
    assert_eq!(balance_of(&app.pool, chat.account).await, Decimal::ZERO);
    let cards = tool(&app.base, &chat.secret, "list_payment_methods", json!({})).await;
    let card = &cards["structuredContent"]["payment_methods"][0];
    assert_eq!(card["has_error"], true);
    assert_eq!(card["error_message"], json!("The billing address doesn't match your card. Update the billing postal code or use another card."));
}

#[sqlx::test(migrations = "../migrations")]
async fn the_same_top_up_twice_at_once_charges_once_and_asks_to_confirm_the_other(pool: PgPool) {
    let app = spawn_app(pool).await;
    let chat = connection(&app, "a@example.test", true).await;
    save_card(&app.pool, &*processor(&app).await, VISA, chat.account).await;
    let before = charges(&app).await;
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let (base, secret) = (app.base.clone(), chat.secret.clone());
            tokio::spawn(async move { tool(&base, &secret, "add_funds", json!({"amount": "25.00"})).await })
        })
        .collect();
    let mut statuses = Vec::new();
    for call in calls {
        let result = call.await.unwrap();
        statuses.push(result["structuredContent"]["status"].as_str().unwrap().to_string());
        if result["structuredContent"]["status"] == "needs_confirmation" {
            assert_eq!(result["structuredContent"]["previous"]["amount"], "25.00");
            assert!(result["structuredContent"]["previous"]["at"].is_string());
            assert!(!is_error(&result));
        }
    }
    statuses.sort();
    assert_eq!(statuses.iter().filter(|s| *s == "completed").count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| *s == "needs_confirmation").count(), 7, "{statuses:?}");
    assert_eq!(charges(&app).await, before + 1);
    assert_eq!(balance_of(&app.pool, chat.account).await, Decimal::from(35));
    // The person confirms, and the chat app sends the confirmed call three times (a lost answer): one charge.
    let held = tool(&app.base, &chat.secret, "add_funds", json!({"amount": "25.00"})).await;
    let confirmation_id = held["structuredContent"]["confirmation_id"].as_str().unwrap().to_string();
    let confirmed = json!({"amount": "25.00", "confirm_duplicate": true, "confirmation_id": confirmation_id});
    let mut answers = Vec::new();
    for _ in 0..3 {
        answers.push(
            tool(&app.base, &chat.secret, "add_funds", confirmed.clone()).await["structuredContent"].clone(),
        );
    }
    assert_eq!(answers[0]["status"], "completed");
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    assert_eq!(charges(&app).await, before + 2);
    // A made-up confirmation confirms nothing; `confirm_duplicate` alone does (the contract's minimum).
    let made_up = json!({"amount": "25.00", "confirm_duplicate": true, "confirmation_id": Uuid::new_v4()});
    let result = tool(&app.base, &chat.secret, "add_funds", made_up).await;
    assert_eq!(result["structuredContent"]["status"], "needs_confirmation");
    let result =
        tool(&app.base, &chat.secret, "add_funds", json!({"amount": "25.00", "confirm_duplicate": true}))
            .await;
    assert_eq!(result["structuredContent"]["balance"], "85.00");
    // Another amount is no duplicate.
    let other = tool(&app.base, &chat.secret, "add_funds", json!({"amount": "30"})).await;
    assert_eq!(other["structuredContent"]["balance"], "115.00");
    assert_eq!(charges(&app).await, before + 4);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_declined_confirmation_does_not_erase_the_top_up_it_repeated(pool: PgPool) {
    let app = spawn_app(pool).await;
    let chat = connection(&app, "a@example.test", true).await;
    let processor = processor(&app).await;
    let visa = save_card(&app.pool, &*processor, VISA, chat.account).await;
    let first = tool(&app.base, &chat.secret, "add_funds", json!({"amount": "25.00"})).await;
    assert_eq!(first["structuredContent"]["status"], "completed");
    // The default card becomes one that is declined; the confirmed repeat fails and gives its guard back…
    let declining = save_card(&app.pool, &*processor, ADDRESS_CHECKED, chat.account).await;
    // In two steps, as the app makes a card the default: the one-default index is checked row by row.
    for step in [
        "UPDATE payment_methods SET is_default = false WHERE account_id = $2 AND id <> $1",
        "UPDATE payment_methods SET is_default = true WHERE account_id = $2 AND id = $1",
    ] {
        sqlx::query(step).bind(declining).bind(chat.account).execute(&app.pool).await.unwrap();
    }
    let repeat =
        tool(&app.base, &chat.secret, "add_funds", json!({"amount": "25.00", "confirm_duplicate": true}))
            .await;
    assert_eq!(repeat["structuredContent"]["status"], "failed");
    // …but the first top-up still holds an unconfirmed retry of it back.
    let retry = tool(&app.base, &chat.secret, "add_funds", json!({"amount": "25.00"})).await;
    assert_eq!(retry["structuredContent"]["status"], "needs_confirmation", "{retry}");
    // Confirmed by its id and declined, that confirmation is spent: after the card is fixed, the next
    // confirmation is a new top-up, not a replay of the decline.
    let id = retry["structuredContent"]["confirmation_id"].clone();
    let confirmed = json!({"amount": "25.00", "confirm_duplicate": true, "confirmation_id": id});
    let declined = tool(&app.base, &chat.secret, "add_funds", confirmed.clone()).await;
    assert_eq!(declined["structuredContent"]["status"], "failed");
    // The person fixes it by making the Visa the default again.
    for (card, is_default) in [(declining, false), (visa, true)] {
        sqlx::query("UPDATE payment_methods SET is_default = $2 WHERE id = $1")
            .bind(card)
            .bind(is_default)
            .execute(&app.pool)
            .await
            .unwrap();
    }
    let stale = tool(&app.base, &chat.secret, "add_funds", confirmed).await;
    assert_eq!(stale["structuredContent"]["status"], "needs_confirmation", "{stale}");
    assert_ne!(stale["structuredContent"]["confirmation_id"], id);
    let fresh = json!({"amount": "25.00", "confirm_duplicate": true,
        "confirmation_id": stale["structuredContent"]["confirmation_id"]});
    let charged = tool(&app.base, &chat.secret, "add_funds", fresh).await;
    assert_eq!(charged["structuredContent"]["status"], "completed", "{charged}");
}

#[sqlx::test(migrations = "../migrations")]
async fn twenty_parallel_add_funds_with_one_idempotency_key_charge_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let chat = connection(&app, "a@example.test", true).await;
    save_card(&app.pool, &*processor(&app).await, VISA, chat.account).await;
    let before = charges(&app).await;
    let arguments = json!({"amount": "25.00", "idempotency_key": "chat-top-up-7"});
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let (base, secret, arguments) = (app.base.clone(), chat.secret.clone(), arguments.clone());
            tokio::spawn(async move { tool(&base, &secret, "add_funds", arguments).await })
        })
        .collect();
    let mut answers = Vec::new();
    for call in calls {
        answers.push(call.await.unwrap()["structuredContent"].clone());
    }
    assert_eq!(answers[0]["status"], "completed");
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    assert_eq!(charges(&app).await, before + 1);
    assert_eq!(balance_of(&app.pool, chat.account).await, Decimal::from(35));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_connection_that_may_not_fund_is_told_where_to_allow_it_and_nothing_is_charged(pool: PgPool) {
    let app = spawn_app(pool).await;
    let chat = connection(&app, "a@example.test", false).await;
    save_card(&app.pool, &*processor(&app).await, VISA, chat.account).await;
    let before = (charges(&app).await, attempts(&app).await);
    for arguments in [json!({"amount": "25.00"}), json!({})] {
        let result = tool(&app.base, &chat.secret, "add_funds", arguments).await;
        assert!(is_error(&result));
        assert_eq!(sentence(&result), "This connection may not add funds. Allow it on the Keys page.");
        assert_eq!(result["structuredContent"]["code"], "connection_may_not_fund");
    }
    assert_eq!((charges(&app).await, attempts(&app).await), before);
    // Reading is still allowed.
    let balance = tool(&app.base, &chat.secret, "get_balance", json!({})).await;
    assert_eq!(balance["structuredContent"]["balance"], "10.00");
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_arguments_are_tool_errors_in_words_and_write_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let chat = connection(&app, "a@example.test", true).await;
    let other = connection(&app, "b@example.test", true).await;
    let processor = processor(&app).await;
    save_card(&app.pool, &*processor, VISA, chat.account).await;
    let foreign_card = save_card(&app.pool, &*processor, VISA, other.account).await;
    let before = (charges(&app).await, attempts(&app).await, balance_of(&app.pool, chat.account).await);
    let huge = "9".repeat(60_000);
    let cases: Vec<(&str, Value, &str)> = vec![
        ("add_funds", json!({"amount": "-5"}), "Enter an amount between $10.00 and $10,000.00"),
        ("add_funds", json!({"amount": "5"}), "Enter an amount between $10.00 and $10,000.00"),
        ("add_funds", json!({"amount": "10000.01"}), "Enter an amount between $10.00 and $10,000.00"),
        ("add_funds", json!({"amount": "10.001"}), "Amount can have at most 2 decimal places"),
        ("add_funds", json!({"amount": "ten"}), "Enter a valid amount"),
        ("add_funds", json!({"amount": "２５"}), "Enter a valid amount"),
        ("add_funds", json!({"amount": huge}), "Enter a valid amount"),
        ("add_funds", json!({"amount": 25}), "Enter a valid amount. Send it as a string such as \"25.00\"."),
        ("add_funds", json!({"amount": "25", "payment_method_id": "card-1"}), "payment_method_id must be"),
        ("add_funds", json!({"amount": "25", "payment_method_id": foreign_card}), "Not found"),
        ("add_funds", json!({"amount": "25", "idempotency_key": ""}), "idempotency_key must be"),
        ("add_funds", json!({"amount": "25", "idempotency_key": "ключ"}), "idempotency_key must be"),
        ("add_funds", json!({"amount": "25", "idempotency_key": "k".repeat(256)}), "idempotency_key must be"),
        ("add_funds", json!({"amount": "25", "confirm_duplicate": "yes"}), "confirm_duplicate"),
        (
            "add_funds",
            json!({"amount": "25", "confirm_duplicate": true, "confirmation_id": "yes"}),
            "confirmation_id must be",
        ),
        ("add_funds", json!({"ammount": "25"}), "unknown field `ammount`"),
        ("get_balance", json!({"account": "someone-else"}), "unknown field `account`"),
        ("get_usage", json!({"since": "last week"}), "since must be a date as YYYY-MM-DD."),
        ("get_usage", json!({"since": "2026-12-01", "until": "2026-11-01"}), "Choose dates as YYYY-MM-DD"),
        (
            "get_usage",
            json!({"since": "1900-01-01", "until": "1900-01-02"}),
            "between 2000-01-01 and 2100-12-31",
        ),
        ("get_usage", json!({"timezone": "Mars/Olympus"}), "Choose a timezone from the list"),
        ("list_requests", json!({"limit": 0}), "limit must be a whole number from 1 to 100."),
        ("list_requests", json!({"limit": 101}), "limit must be a whole number from 1 to 100."),
        ("list_requests", json!({"limit": "ten"}), "limit: invalid type"),
        ("list_requests", json!({"cursor": "💥"}), "cursor is not one this tool answered."),
    ];
    for (name, arguments, message) in cases {
        let result = tool(&app.base, &chat.secret, name, arguments.clone()).await;
        assert!(is_error(&result), "{name} {arguments}: {result}");
        assert!(sentence(&result).contains(message), "{name} {arguments}: {}", sentence(&result));
        assert!(sentence(&result).chars().count() < 400, "a refusal quotes at most a little of the input");
    }
    assert_eq!(
        (charges(&app).await, attempts(&app).await, balance_of(&app.pool, chat.account).await),
        before,
        "nothing was charged or recorded"
    );
    let guards: i64 =
        sqlx::query_scalar("SELECT count(*) FROM chat_top_up_guards").fetch_one(&app.pool).await.unwrap();
    assert_eq!(guards, 0, "the foreign card's refusal released its guard");
    // An unknown tool is a protocol error, not a tool answer.
    let message =
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "drain_wallet"}});
    let body = rpc(&app.base, Some(&chat.secret), message).await.body;
    assert!(body["error"]["message"].as_str().unwrap().contains("Unknown tool"), "{body}");
}

#[sqlx::test(migrations = "../migrations")]
async fn usage_and_requests_answer_exactly_what_v1_answers(pool: PgPool) {
    let app = spawn_app(pool).await;
    let chat = connection(&app, "a@example.test", true).await;
    save_card(&app.pool, &*processor(&app).await, VISA, chat.account).await;
    let http = reqwest::Client::new();
    for body in [
        json!({"service": "exa", "model": "search"}),
        json!({"service": "openai", "model": "gpt-4o-mini", "usage": {"input_tokens": 1200, "output_tokens": 300}}),
    ] {
        let res =
            http.post(app.url("/v1/requests")).bearer_auth(&chat.secret).json(&body).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let v1 = |path: &str| {
        let req = http.get(app.url(path)).bearer_auth(&chat.secret);
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let usage = tool(&app.base, &chat.secret, "get_usage", json!({})).await;
    assert_eq!(usage["structuredContent"], v1("/v1/usage").await);
    assert_eq!(usage["structuredContent"]["totals"]["requests"], 2);
    let today = chrono::Utc::now().date_naive();
    let since = (today - chrono::Duration::days(30)).to_string();
    let ranged = tool(
        &app.base,
        &chat.secret,
        "get_usage",
        json!({"since": since, "until": today.to_string(), "timezone": "Asia/Kathmandu"}),
    )
    .await;
    assert_eq!(
        ranged["structuredContent"],
        v1(&format!("/v1/usage?start={since}&end={today}&tz=Asia/Kathmandu")).await
    );
    let requests = tool(&app.base, &chat.secret, "list_requests", json!({"limit": 1})).await;
    let page = v1("/v1/requests?limit=1").await;
    assert_eq!(requests["structuredContent"], page);
    assert_eq!(requests["structuredContent"]["has_more"], true);
    let cursor = page["next_cursor"].as_str().unwrap();
    let older = tool(&app.base, &chat.secret, "list_requests", json!({"limit": 1, "cursor": cursor})).await;
    assert_eq!(older["structuredContent"], v1(&format!("/v1/requests?limit=1&cursor={cursor}")).await);
    assert_eq!(older["structuredContent"]["data"][0]["service"], "exa");
}

#[sqlx::test(migrations = "../migrations")]
async fn ask_model_answers_the_reply_its_cost_and_the_balance_or_the_402_before_the_model_is_asked(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let chat = connection(&app, "a@example.test", false).await;
    // An empty wallet: the most the call can cost can't be held, so the model is never asked.
    let result =
        tool(&app.base, &chat.secret, "ask_model", json!({"model": "gpt-4o-mini", "prompt": "Hello"})).await;
    assert!(is_error(&result));
    assert_eq!(
        result["structuredContent"],
        json!({"error": "Insufficient wallet balance", "code": "insufficient_balance"})
    );
    crate::support::deposit(&app.pool, chat.account, 1).await;
    let result = tool(
        &app.base,
        &chat.secret,
        "ask_model",
        json!({"model": "gpt-4o-mini", "prompt": "Hello", "max_tokens": 50}),
    )
    .await;
    assert!(!is_error(&result), "{result}");
    let answer = &result["structuredContent"];
    // The sandbox upstream: "Hello" is 2 tokens + 4 of framing in, 4 words out.
    assert_eq!(answer["reply"], "Sandbox reply to: Hello");
    assert_eq!(answer["cost"], "0.0000033");
    assert_eq!(answer["balance"], "0.99");
    assert_eq!(
        sentence(&result),
        "Sandbox reply to: Hello\n\n(That cost $0.0000033; your balance is $0.99.)"
    );
    let (_, list) = crate::api_http::api(&app, "GET", "/v1/requests", &chat.secret, None, None).await;
    assert_eq!(
        (list["data"][0]["request_id"].clone(), list["data"][0]["via"].as_str()),
        (answer["request_id"].clone(), Some("gateway"))
    );
    for (arguments, words) in [
        (json!({"model": "nope", "prompt": "Hi"}), "Unknown service or model"),
        (json!({"model": "gpt-4o-mini", "prompt": ""}), "prompt must be 1 to 100,000 characters."),
        (
            json!({"model": "gpt-4o-mini", "prompt": "Hi", "max_tokens": 0}),
            "max_tokens must be a whole number from 1 to 4096.",
        ),
    ] {
        let result = tool(&app.base, &chat.secret, "ask_model", arguments.clone()).await;
        assert!(is_error(&result) && sentence(&result) == words, "{arguments}: {result}");
    }
}
