//! Connecting a chat app with OAuth 2.1 over HTTP, as MCP's authorization spec has a client do it:
//! discovery, registration, the consent page and its answer, the code exchange with PKCE, refresh rotation,
//! revocation — and the connection as a spend key the Keys page controls. (The official TypeScript SDK's
//! OAuth client drives the same flow in Chromium in `make test`: end2end/tests/chat-connect.test.js.)

use crate::support::{location, spawn_app, TestApp};
use base64::Engine;
use reqwest::{header, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;
use tollgate_core::keys::db as keys_db;
use tollgate_core::keys::db::StatusChange;
use uuid::Uuid;

const CALLBACK: &str = "http://127.0.0.1:9/callback";
const VERIFIER: &str = "a-verifier-the-chat-app-keeps-to-itself-0123456789";

fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tollgate_core::keys::secret::sha256(verifier))
}

async fn register(app: &TestApp, metadata: Value) -> (StatusCode, Value) {
    let res = reqwest::Client::new().post(app.url("/oauth/register")).json(&metadata).send().await.unwrap();
    (res.status(), res.json().await.unwrap_or(Value::Null))
}

async fn public_client(app: &TestApp) -> String {
    let (status, body) = register(
        app,
        json!({"client_name": "Claude", "redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none",
               "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body.get("client_secret").is_none());
    body["client_id"].as_str().unwrap().to_string()
}

fn authorize_query(
    app: &TestApp,
    client_id: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Vec<(String, String)> {
    [
        ("client_id", client_id.to_string()),
        ("redirect_uri", redirect_uri.to_string()),
        ("response_type", "code".to_string()),
        ("code_challenge", challenge(verifier)),
        ("code_challenge_method", "S256".to_string()),
        ("state", "st-42".to_string()),
        ("scope", "wallet".to_string()),
        ("resource", app.url("/mcp")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn query_string(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

/// The person answers the consent form; the redirect's Location.
async fn answer_consent(
    app: &TestApp,
    query: &[(String, String)],
    extra: &[(&str, &str)],
) -> (StatusCode, String) {
    let page = format!("/oauth/authorize?{}", query_string(query));
    let mut fields: Vec<(&str, &str)> = query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    fields.extend_from_slice(extra);
    let res = app.post_form("/oauth/authorize", &page, &fields).await;
    (res.status(), location(&res))
}

/// The `code` (and `state`) of a redirect to the app.
fn code_of(location: &str) -> String {
    let query = location.split_once('?').unwrap().1;
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    assert!(pairs.contains(&("state".into(), "st-42".into())), "{location}");
    pairs
        .into_iter()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no code in {location}"))
}

async fn token(app: &TestApp, fields: &[(&str, &str)]) -> (StatusCode, Value) {
    let res = reqwest::Client::new().post(app.url("/oauth/token")).form(fields).send().await.unwrap();
    (res.status(), res.json().await.unwrap_or(Value::Null))
}

async fn exchange(app: &TestApp, client_id: &str, code: &str, verifier: &str) -> (StatusCode, Value) {
    let resource = app.url("/mcp");
    token(
        app,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CALLBACK),
            ("client_id", client_id),
            ("code_verifier", verifier),
            ("resource", &resource),
        ],
    )
    .await
}

/// `get_balance` over `/mcp` with `bearer`: the HTTP status and the balance (if answered).
async fn balance_with(app: &TestApp, bearer: &str) -> (StatusCode, Option<String>) {
    let res = reqwest::Client::new()
        .post(app.url("/mcp"))
        .bearer_auth(bearer)
        .header(header::ACCEPT, "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "get_balance", "arguments": {}}}))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    (status, body["result"]["structuredContent"]["balance"].as_str().map(String::from))
}

/// A person signed up in `app`'s browser client, who connects a fresh public client: (client id, tokens).
async fn connected(app: &TestApp, extra: &[(&str, &str)]) -> (String, Value) {
    app.sign_up("person@example.test", "correct-horse-1").await;
    let client_id = public_client(app).await;
    let query = authorize_query(app, &client_id, CALLBACK, VERIFIER);
    let (status, to) = answer_consent(app, &query, extra).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let (status, tokens) = exchange(app, &client_id, &code_of(&to), VERIFIER).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    (client_id, tokens)
}

async fn account_id(app: &TestApp) -> Uuid {
    sqlx::query_scalar("SELECT account_id FROM memberships LIMIT 1").fetch_one(&app.pool).await.unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_discovery_documents_lead_from_mcp_to_every_endpoint(pool: PgPool) {
    let app = spawn_app(pool).await;
    let resource: Value =
        reqwest::get(app.url("/.well-known/oauth-protected-resource")).await.unwrap().json().await.unwrap();
    assert_eq!(resource["resource"], app.url("/mcp"));
    assert_eq!(resource["authorization_servers"], json!([app.base]));
    let path_aware: Value = reqwest::get(app.url("/.well-known/oauth-protected-resource/mcp"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(path_aware, resource);
    let server: Value =
        reqwest::get(app.url("/.well-known/oauth-authorization-server")).await.unwrap().json().await.unwrap();
    assert_eq!(server["issuer"], app.base);
    for (field, path) in [
        ("authorization_endpoint", "/oauth/authorize"),
        ("token_endpoint", "/oauth/token"),
        ("registration_endpoint", "/oauth/register"),
        ("revocation_endpoint", "/oauth/revoke"),
    ] {
        assert_eq!(server[field], app.url(path), "{field}");
    }
    assert_eq!(server["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(server["response_types_supported"], json!(["code"]));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_chat_app_connects_and_its_token_acts_as_a_chat_connection_key(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.sign_up("person@example.test", "correct-horse-1").await;
    let client_id = public_client(&app).await;
    let query = authorize_query(&app, &client_id, CALLBACK, VERIFIER);
    // The consent page, signed in: the contract's labels, and a policy that lets its form lead back to the
    // app.
    let page = app.get(&format!("/oauth/authorize?{}", query_string(&query))).await;
    assert_eq!(page.status(), StatusCode::OK);
    let policy = page.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
    assert!(policy.contains("form-action 'self' http://127.0.0.1:9;"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"));
    let html = page.text().await.unwrap();
    for text in [
        "Claude wants to use your Tollgate wallet",
        "Spend limit",
        "Limit period",
        "Allow adding funds",
        ">Allow<",
        ">Deny<",
    ] {
        assert!(html.contains(text), "{text}");
    }
    assert!(!html.contains(r#"name="allow_funding" value="on" checked"#), "unticked by default");
    let (status, to) = answer_consent(
        &app,
        &query,
        &[("spend_limit", "5"), ("limit_period", "daily"), ("allow_funding", "on"), ("decision", "allow")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(to.starts_with("http://127.0.0.1:9/callback?code=tg_ac_"), "{to}");
    let (status, tokens) = exchange(&app, &client_id, &code_of(&to), VERIFIER).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!((tokens["token_type"].as_str(), tokens["expires_in"].as_i64()), (Some("Bearer"), Some(3600)));
    let access = tokens["access_token"].as_str().unwrap();
    assert!(access.starts_with("tg_at_") && tokens["refresh_token"].as_str().unwrap().starts_with("tg_rt_"));
    assert_eq!(balance_with(&app, access).await, (StatusCode::OK, Some("0.00".into())));
    // The connection is a key named after the app, with what the person chose, tagged on the Keys page.
    let keys = keys_db::list(&app.pool, account_id(&app).await).await.unwrap();
    let [key] = keys.as_slice() else { panic!("{keys:?}") };
    assert!(key.chat_connection && key.allow_funding);
    assert_eq!(key.name, "Claude");
    assert_eq!(key.limit.unwrap().amount.json_cents(), "5.00");
    let keys_page = app.get("/dashboard/keys").await.text().await.unwrap();
    assert!(keys_page.contains("Chat connection"));
    // Nothing secret is stored as itself.
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM oauth_tokens WHERE token_sha256 = sha256(convert_to($1, 'UTF8'))",
    )
    .bind(access)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(stored, 1, "the token is found by its hash");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_code_works_once_for_its_client_redirect_and_verifier(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.sign_up("person@example.test", "correct-horse-1").await;
    let client_id = public_client(&app).await;
    let other_client = public_client(&app).await;
    let allow = [("decision", "allow")];
    let new_code = || async {
        let query = authorize_query(&app, &client_id, CALLBACK, VERIFIER);
        code_of(&answer_consent(&app, &query, &allow).await.1)
    };
    // A wrong verifier fails — and uses the code up.
    let code = new_code().await;
    let (status, body) =
        exchange(&app, &client_id, &code, "not-the-verifier-but-long-enough-to-be-one-000000").await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    assert_eq!(exchange(&app, &client_id, &code, VERIFIER).await.0, StatusCode::BAD_REQUEST);
    // Another client can't use it; nor can another redirect URI.
    let code = new_code().await;
    assert_eq!(exchange(&app, &other_client, &code, VERIFIER).await.1["error"], "invalid_grant");
    let code = new_code().await;
    let resource = app.url("/mcp");
    let (_, body) = token(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:9/other"),
            ("client_id", &client_id),
            ("code_verifier", VERIFIER),
            ("resource", &resource),
        ],
    )
    .await;
    assert_eq!(body["error"], "invalid_grant");
    // Used twice: the second use is refused and revokes what the first gave.
    let code = new_code().await;
    let (status, tokens) = exchange(&app, &client_id, &code, VERIFIER).await;
    assert_eq!(status, StatusCode::OK);
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(balance_with(&app, access).await.0, StatusCode::OK);
    assert_eq!(exchange(&app, &client_id, &code, VERIFIER).await.1["error"], "invalid_grant");
    assert_eq!(balance_with(&app, access).await.0, StatusCode::UNAUTHORIZED);
    let revoked: i64 = sqlx::query_scalar("SELECT count(*) FROM spend_keys WHERE status = 'revoked'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(revoked >= 1, "the replayed code's connection shows as ended");
    // Expired codes don't work either.
    let code = new_code().await;
    sqlx::query("UPDATE oauth_codes SET expires_at = now() - interval '1 second' WHERE used_at IS NULL")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(exchange(&app, &client_id, &code, VERIFIER).await.1["error"], "invalid_grant");
    // Missing pieces and other grants are named.
    let (status, body) =
        token(&app, &[("grant_type", "authorization_code"), ("client_id", &client_id)]).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")));
    let (_, body) = token(&app, &[("grant_type", "password"), ("client_id", &client_id)]).await;
    assert_eq!(body["error"], "unsupported_grant_type");
    let (status, body) =
        token(&app, &[("grant_type", "authorization_code"), ("client_id", "tgc_unknown")]).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
}

#[sqlx::test(migrations = "../migrations")]
async fn refresh_tokens_rotate_and_a_reused_one_ends_every_token_of_the_connection(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (client_id, first) = connected(&app, &[("decision", "allow")]).await;
    let refresh = |token: String| {
        let (app, client_id) = (&app, client_id.clone());
        async move {
            self::token(
                app,
                &[("grant_type", "refresh_token"), ("refresh_token", &token), ("client_id", &client_id)],
            )
            .await
        }
    };
    let (status, second) = refresh(first["refresh_token"].as_str().unwrap().to_string()).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    let access = second["access_token"].as_str().unwrap().to_string();
    assert_eq!(balance_with(&app, &access).await.0, StatusCode::OK);
    // The first refresh token again: someone kept a copy. Everything of the connection stops.
    let (status, body) = refresh(first["refresh_token"].as_str().unwrap().to_string()).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    assert_eq!(balance_with(&app, &access).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        refresh(second["refresh_token"].as_str().unwrap().to_string()).await.1["error"],
        "invalid_grant"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn pause_and_revoke_on_the_keys_page_end_the_connection_at_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (client_id, tokens) = connected(&app, &[("decision", "allow")]).await;
    let access = tokens["access_token"].as_str().unwrap();
    let account = account_id(&app).await;
    let key = keys_db::list(&app.pool, account).await.unwrap().remove(0).id;
    crate::support::change_key(&app.pool, account, key, StatusChange::Pause).await.unwrap();
    // Paused is 403 with no OAuth challenge: not a reason for the app to connect again.
    let paused = reqwest::Client::new()
        .post(app.url("/mcp"))
        .bearer_auth(access)
        .header(header::ACCEPT, "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(paused.status(), StatusCode::FORBIDDEN);
    assert!(paused.headers().get(header::WWW_AUTHENTICATE).is_none());
    crate::support::change_key(&app.pool, account, key, StatusChange::Resume).await.unwrap();
    assert_eq!(balance_with(&app, access).await.0, StatusCode::OK);
    crate::support::change_key(&app.pool, account, key, StatusChange::Revoke).await.unwrap();
    assert_eq!(balance_with(&app, access).await.0, StatusCode::UNAUTHORIZED);
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let (_, body) = token(
        &app,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh_token), ("client_id", &client_id)],
    )
    .await;
    assert_eq!(body["error"], "invalid_grant");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_app_disconnects_by_revoking_its_refresh_token(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (client_id, tokens) = connected(&app, &[("decision", "allow")]).await;
    let revoke = |token: &str| {
        let fields = [("token", token.to_string()), ("client_id", client_id.clone())];
        let url = app.url("/oauth/revoke");
        async move { reqwest::Client::new().post(url).form(&fields).send().await.unwrap().status() }
    };
    assert_eq!(revoke("tg_rt_never-issued").await, StatusCode::OK, "unknown tokens are not told apart");
    assert_eq!(revoke(tokens["refresh_token"].as_str().unwrap()).await, StatusCode::OK);
    assert_eq!(
        balance_with(&app, tokens["access_token"].as_str().unwrap()).await.0,
        StatusCode::UNAUTHORIZED
    );
    let account = account_id(&app).await;
    let keys = keys_db::list(&app.pool, account).await.unwrap();
    assert_eq!(
        keys[0].status,
        tollgate_domain::keys::settings::KeyStatus::Revoked,
        "the Keys page shows the connection ended"
    );
    // The audit log: the person connected it on the consent page; the app itself ended it.
    let log: Vec<(String, String, String, Option<Uuid>)> = sqlx::query_as(
        "SELECT action, channel, detail, actor_key_id FROM audit_events WHERE account_id = $1 ORDER BY id",
    )
    .bind(account)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let app_name = keys[0].name.clone();
    assert_eq!(
        log,
        vec![
            (
                "connection_created".into(),
                "dashboard".into(),
                format!("Chat connection \"{app_name}\""),
                None
            ),
            (
                "connection_revoked".into(),
                "chat".into(),
                format!("Chat connection \"{app_name}\""),
                Some(keys[0].id)
            ),
        ]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn deny_bad_requests_and_tampered_forms_never_send_a_code_anywhere(pool: PgPool) {
    let app = spawn_app(pool).await;
    let client_id = public_client(&app).await;
    let query = authorize_query(&app, &client_id, CALLBACK, VERIFIER);
    // Signed out, the page sends the person to log in and back.
    let res = app.get(&format!("/oauth/authorize?{}", query_string(&query))).await;
    assert!(location(&res).starts_with("/login?next=%2Foauth%2Fauthorize%3Fclient_id"), "{}", location(&res));
    app.sign_up("person@example.test", "correct-horse-1").await;
    // Every answer names its issuer (RFC 9207), as the metadata document does.
    let iss = format!("&iss={}", tollgate_domain::url_query::encode_value(&app.base));
    // Deny: back to the app with access_denied and the state; no key made.
    let (status, to) = answer_consent(&app, &query, &[("decision", "deny")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(to, format!("http://127.0.0.1:9/callback?error=access_denied&state=st-42{iss}"));
    // An unregistered redirect URI: explained on the page, with no way "back" to it.
    let evil = authorize_query(&app, &client_id, "http://127.0.0.1:9/elsewhere", VERIFIER);
    let html = app.get(&format!("/oauth/authorize?{}", query_string(&evil))).await.text().await.unwrap();
    assert!(
        html.contains("This connection can&#x27;t be made") || html.contains("This connection can't be made"),
        "{html}"
    );
    assert!(html.contains("didn&#x27;t register") || html.contains("didn't register"));
    assert!(!html.contains("127.0.0.1:9/elsewhere?"));
    // The same, posted by a tampered form: back to the consent page, never to that address.
    let (status, to) = answer_consent(&app, &evil, &[("decision", "allow")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(to.starts_with("/oauth/authorize?") && to.ends_with("error=chat_app_redirect_invalid"), "{to}");
    // A loopback callback on another port is the same app on the person's computer (RFC 8252).
    let other_port = authorize_query(&app, &client_id, "http://127.0.0.1:10/callback", VERIFIER);
    let (_, to) = answer_consent(&app, &other_port, &[("decision", "deny")]).await;
    assert_eq!(to, format!("http://127.0.0.1:10/callback?error=access_denied&state=st-42{iss}"));
    // Without PKCE S256, for an app this person never connected, the page says so and links back to the
    // app with invalid_request: nobody is sent to a registered address without seeing Tollgate's page.
    let mut no_pkce = query.clone();
    no_pkce.retain(|(k, _)| k != "code_challenge");
    let res = app.get(&format!("/oauth/authorize?{}", query_string(&no_pkce))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let back =
        format!("http://127.0.0.1:9/callback?error=invalid_request&state=st-42{iss}").replace('&', "&amp;");
    assert!(html.contains(&format!("href=\"{back}\"")), "{html}");
    // Posted without PKCE S256: the app is told invalid_request.
    let mut plain = query.clone();
    plain.iter_mut().find(|(k, _)| k == "code_challenge_method").unwrap().1 = "plain".into();
    let (_, to) = answer_consent(&app, &plain, &[("decision", "allow")]).await;
    assert_eq!(to, format!("http://127.0.0.1:9/callback?error=invalid_request&state=st-42{iss}"));
    // A bad spend limit: back to the page with its message; still no key.
    let (_, to) = answer_consent(&app, &query, &[("spend_limit", "-5"), ("decision", "allow")]).await;
    assert!(to.ends_with("error=spend_limit_invalid"), "{to}");
    let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM spend_keys").fetch_one(&app.pool).await.unwrap();
    assert_eq!(keys, 0);
    // From another site, the consent form is refused outright.
    let res = app
        .client
        .post(app.url("/oauth/authorize"))
        .header(header::ORIGIN, "https://evil.example")
        .form(&[("client_id", client_id.as_str()), ("decision", "allow")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

/// An app the person has connected before is sent its errors straight away (it is theirs), with `iss`.
#[sqlx::test(migrations = "../migrations")]
async fn an_app_connected_before_gets_its_errors_at_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (client_id, _) = connected(&app, &[("decision", "allow")]).await;
    let mut no_pkce = authorize_query(&app, &client_id, CALLBACK, VERIFIER);
    no_pkce.retain(|(k, _)| k != "code_challenge");
    let res = app.get(&format!("/oauth/authorize?{}", query_string(&no_pkce))).await;
    let iss = tollgate_domain::url_query::encode_value(&app.base);
    assert_eq!(
        location(&res),
        format!("http://127.0.0.1:9/callback?error=invalid_request&state=st-42&iss={iss}")
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn registration_checks_metadata_is_limited_per_address_and_secrets_are_proved(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (status, body) = register(&app, json!({"redirect_uris": ["javascript:alert(1)"]})).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_redirect_uri")));
    let (status, body) = register(&app, json!(["not", "an", "object"])).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_client_metadata")));
    // A confidential client gets a secret once, and must prove it at the token endpoint.
    let (status, body) =
        register(&app, json!({"client_name": "Server app", "redirect_uris": [CALLBACK]})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["token_endpoint_auth_method"], "client_secret_basic");
    let (id, secret) = (body["client_id"].as_str().unwrap(), body["client_secret"].as_str().unwrap());
    let refresh = [("grant_type", "refresh_token"), ("refresh_token", "tg_rt_x")];
    let with_basic = |user: &str, password: &str| {
        reqwest::Client::new()
            .post(app.url("/oauth/token"))
            .basic_auth(user, Some(password))
            .form(&refresh)
            .send()
    };
    assert_eq!(
        with_basic(id, secret).await.unwrap().json::<Value>().await.unwrap()["error"],
        "invalid_grant",
        "authenticated"
    );
    assert_eq!(with_basic(id, "tgcs_wrong").await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let (status, _) =
        token(&app, &[("grant_type", "refresh_token"), ("refresh_token", "tg_rt_x"), ("client_id", id)])
            .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no secret");
    let stored: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT client_secret_sha256 FROM oauth_clients WHERE client_id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(stored.unwrap(), tollgate_core::keys::secret::sha256(secret).to_vec());
    // 20 registrations per address per hour: the 3 above count too, refused or not.
    let mut last = StatusCode::CREATED;
    for _ in 0..20 {
        last = register(&app, json!({"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"}))
            .await
            .0;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}

/// A web page can post a form or plain text to any site from its visitors' browsers, but not JSON sent as
/// JSON: registration takes only that, at most 8 KB, with at most 5 redirect URIs of at most 512
/// characters. A refusal here registers nothing.
#[sqlx::test(migrations = "../migrations")]
async fn registration_takes_only_small_json_sent_as_json(pool: PgPool) {
    let app = spawn_app(pool).await;
    let metadata = json!({"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"}).to_string();
    let post = |content_type: Option<&'static str>, body: String| {
        let mut req = reqwest::Client::new().post(app.url("/oauth/register")).body(body);
        if let Some(content_type) = content_type {
            req = req.header(header::CONTENT_TYPE, content_type);
        }
        async move {
            let res = req.send().await.unwrap();
            (res.status(), res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    for content_type in
        [None, Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("multipart/form-data")]
    {
        let (status, body) = post(content_type, metadata.clone()).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type:?}");
        assert_eq!(body["error"], "invalid_client_metadata");
    }
    let padded = json!({"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none", "logo_uri": "x".repeat(8200)});
    assert_eq!(post(Some("application/json"), padded.to_string()).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    let six: Vec<String> = (0..6).map(|i| format!("http://127.0.0.1:{}/cb", 9000 + i)).collect();
    let (status, body) =
        register(&app, json!({"redirect_uris": six, "token_endpoint_auth_method": "none"})).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_redirect_uri")));
    let clients: i64 =
        sqlx::query_scalar("SELECT count(*) FROM oauth_clients").fetch_one(&app.pool).await.unwrap();
    assert_eq!(clients, 0);
    let (status, _) = post(Some("application/json; charset=utf-8"), metadata).await;
    assert_eq!(status, StatusCode::CREATED);
}

/// A client no person connected within 24 hours is forgotten by the maintenance job; one that was
/// connected stays.
#[sqlx::test(migrations = "../migrations")]
async fn clients_nobody_connected_within_a_day_are_forgotten(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (connected_client, _) = connected(&app, &[("decision", "allow")]).await;
    let unused = public_client(&app).await;
    let fresh = public_client(&app).await;
    sqlx::query("UPDATE oauth_clients SET created_at = now() - interval '25 hours' WHERE client_id <> $1")
        .bind(&fresh)
        .execute(&app.pool)
        .await
        .unwrap();
    server::workers::maintenance::run_once(&app.pool).await.unwrap();
    let left: Vec<String> = sqlx::query_scalar("SELECT client_id FROM oauth_clients ORDER BY client_id")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    let mut expected = vec![connected_client, fresh];
    expected.sort();
    assert_eq!(left, expected, "{unused} is gone");
}

/// A chat connection is edited like a key — its spend limit, funding and daily funding limit (up to the
/// contract's $10,000.00 at most) — but keeps the name its app gave it.
#[sqlx::test(migrations = "../migrations")]
async fn a_chat_connection_is_edited_like_a_key_and_keeps_its_name(pool: PgPool) {
    let app = spawn_app(pool).await;
    let funding = [("allow_funding", "on"), ("daily_funding_limit", "10000"), ("decision", "allow")];
    let (_, _) = connected(&app, &funding).await;
    let (key_id, name, limit): (Uuid, String, rust_decimal::Decimal) =
        sqlx::query_as("SELECT id, name, daily_funding_limit FROM spend_keys")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        (name.as_str(), limit),
        ("Claude", rust_decimal::Decimal::from(10_000)),
        "the consent page's limit"
    );
    let edit = format!("/dashboard/keys/{key_id}/edit");
    let fields = [
        ("name", "Renamed"),
        ("spend_limit", "20"),
        ("limit_period", "monthly"),
        ("allow_funding", "on"),
        ("daily_funding_limit", "250"),
        ("rate_limit", "600"),
    ];
    let res = app.post_form(&edit, "/dashboard/keys", &fields).await;
    assert_eq!(location(&res), "/dashboard/keys?done=key_changed");
    let (name, spend_limit, limit): (String, Option<rust_decimal::Decimal>, rust_decimal::Decimal) =
        sqlx::query_as("SELECT name, limit_amount, daily_funding_limit FROM spend_keys WHERE id = $1")
            .bind(key_id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(name, "Claude", "the app's name stays");
    assert_eq!(spend_limit, Some(rust_decimal::Decimal::from(20)));
    assert_eq!(limit, rust_decimal::Decimal::from(250));
    let detail: String = sqlx::query_scalar("SELECT detail FROM audit_events WHERE action = 'key_changed'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        detail,
        "Chat connection \"Claude\": spend limit none → $20.00 per month (UTC); adding funds allowed, up to $10,000.00 a day → allowed, up to $250.00 a day"
    );
    // Over the $10,000.00 maximum: refused on the consent page as on the Keys page.
    let over = [("name", "x"), ("allow_funding", "on"), ("daily_funding_limit", "10000.01")];
    let res = app.post_form(&edit, "/dashboard/keys", &over).await;
    assert!(location(&res).ends_with("&error=funding_limit_invalid"), "{}", location(&res));
}
