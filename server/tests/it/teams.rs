//! Teams over HTTP, as people and their agents meet them (docs/CONTRACT.md "Teams"): creating a team,
//! invite links (single use, expired, revoked), the guide's prerequisite on every funding channel (the
//! dashboard, `/v1/wallet/fund`, the chat's `add_funds`) with nothing charged, the permission table enforced
//! by the server, the last Owner, and a removal that stops the member's keys at once.

use crate::support::{balance_of, browser_like_client, location, save_card, spawn_app, TestApp, VISA};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

/// Someone with their own browser (cookies) on the app.
struct Person {
    browser: TestApp,
    user_id: Uuid,
}

impl Person {
    async fn sign_up(app: &TestApp, email: &str) -> Person {
        let browser = TestApp { client: browser_like_client(), ..app.clone_handle() };
        let res = browser.sign_up(email, "a long password 1").await;
        assert_eq!(location(&res), "/dashboard/wallet", "signed up");
        let user_id = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        Person { browser, user_id }
    }

    /// A plain form post from `from_page` (JavaScript off).
    async fn form(&self, path: &str, from_page: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.browser.post_form(path, from_page, fields).await
    }

    /// A server function as the hydrated app calls it: the status and the JSON answer.
    async fn call(&self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, Value) {
        self.browser.call(path, fields).await
    }

    async fn page(&self, path: &str) -> String {
        let asked = std::time::Instant::now();
        let res = self.browser.get(path).await;
        let status = res.status();
        let html = res.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{path} after {:?}: {:.300}", asked.elapsed(), html);
        html
    }

    /// The account this person's session acts for (the team page's `viewer`).
    async fn acting_for(&self) -> Uuid {
        let (status, page) = self.call("/api/team/page", &[]).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        page["viewer"]["account_id"].as_str().unwrap().parse().unwrap()
    }

    async fn create_team(&self, name: &str) -> Uuid {
        let res = self.form("/api/team/create", "/dashboard/team", &[("team_name", name)]).await;
        assert_eq!(location(&res), "/dashboard/team", "team created");
        self.acting_for().await
    }

    /// "Create invite link" for `role`: the link's path, shown once in the page that answers.
    async fn invite(&self, role: &str) -> String {
        let res = self.form("/dashboard/team", "/dashboard/team", &[("role", role)]).await;
        assert_eq!(res.status(), StatusCode::OK, "{}", location(&res));
        let page = res.text().await.unwrap();
        let start =
            page.find(r#"data-path="/invite/"#).expect("the new link is shown") + r#"data-path=""#.len();
        page[start..start + page[start..].find('"').unwrap()].to_string()
    }

    async fn accept(&self, invite_path: &str) -> (StatusCode, Value) {
        self.call("/api/invite/accept", &[("token", invite_path.trim_start_matches("/invite/"))]).await
    }

    /// A spend key made on the Keys page (its secret, from the page that answers).
    async fn key(&self, allow_funding: bool) -> String {
        let mut fields = vec![("name", "agent"), ("limit_period", "daily"), ("daily_funding_limit", "1000")];
        if allow_funding {
            fields.push(("allow_funding", "on"));
        }
        let res = self.form("/dashboard/keys", "/dashboard/keys", &fields).await;
        assert_eq!(res.status(), StatusCode::OK, "{}", location(&res));
        let page = res.text().await.unwrap();
        let start = page.find("tg_sk_").expect("the secret is shown");
        page[start..start + 54].to_string()
    }
}

async fn api_fund(app: &TestApp, secret: &str, amount: &str, idempotency_key: &str) -> (StatusCode, Value) {
    let res = reqwest::Client::new()
        .post(app.url("/v1/wallet/fund"))
        .bearer_auth(secret)
        .header("Idempotency-Key", idempotency_key)
        .json(&json!({ "amount": amount }))
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

async fn chat_add_funds(app: &TestApp, secret: &str, amount: &str) -> Value {
    let res = reqwest::Client::new()
        .post(app.url("/mcp"))
        .bearer_auth(secret)
        .header("Accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "add_funds", "arguments": {"amount": amount, "idempotency_key": "chat-1"}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<Value>().await.unwrap()["result"].clone()
}

async fn attempts_of(app: &TestApp, account: Uuid) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM payment_attempts WHERE account_id = $1")
        .bind(account)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// The one spend key of `account`.
async fn only_key_of(app: &TestApp, account: Uuid) -> Uuid {
    sqlx::query_scalar("SELECT id FROM spend_keys WHERE account_id = $1")
        .bind(account)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn role_of(app: &TestApp, team: Uuid, user: Uuid) -> Option<String> {
    sqlx::query_scalar("SELECT role FROM memberships WHERE account_id = $1 AND user_id = $2")
        .bind(team)
        .bind(user)
        .fetch_optional(&app.pool)
        .await
        .unwrap()
}

/// An Owner with a team, and a person who joined it as `role`.
async fn team_with(app: &TestApp, role: &str) -> (Person, Person, Uuid) {
    let owner = Person::sign_up(app, "owner@example.com").await;
    let team = owner.create_team("Acme Research").await;
    let joiner = Person::sign_up(app, &format!("{role}@example.com")).await;
    let link = owner.invite(role).await;
    let (status, answer) = joiner.accept(&link).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(joiner.acting_for().await, team, "accepting switches to the team");
    (owner, joiner, team)
}

#[sqlx::test(migrations = "../migrations")]
async fn a_new_team_is_its_own_account_and_the_header_switches_between_accounts(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = Person::sign_up(&app, "owner@example.com").await;
    let personal = owner.acting_for().await;
    assert_eq!(owner.call("/api/team/create", &[("team_name", "  ")]).await.1, json!("team_name_invalid"));
    let team = owner.create_team("Acme Research").await;
    assert_ne!(team, personal);
    let (kind, members_can_fund): (String, bool) =
        sqlx::query_as("SELECT kind, members_can_fund FROM accounts WHERE id = $1")
            .bind(team)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((kind.as_str(), members_can_fund), ("team", false), "funding by members is off on a new team");
    assert_eq!(balance_of(&app.pool, team).await, rust_decimal::Decimal::ZERO);

    let wallet = owner.page("/dashboard/wallet").await;
    assert!(wallet.contains(r#"<label for="account-switch" class="visually-hidden">Account</label>"#));
    assert!(wallet.contains(">Personal</option>") && wallet.contains(">Acme Research</option>"));
    assert!(wallet.contains(r#"href="/dashboard/team""#), "a team has the Team link");

    let res =
        owner.form("/api/team/switch", "/dashboard/usage", &[("account_id", &personal.to_string())]).await;
    assert_eq!(location(&res), "/dashboard/wallet");
    assert_eq!(owner.acting_for().await, personal);
    // Someone else's account can't be switched to: nothing changes.
    let stranger = Person::sign_up(&app, "stranger@example.com").await;
    let (status, answer) = stranger.call("/api/team/switch", &[("account_id", &team.to_string())]).await;
    assert_eq!((status, answer), (StatusCode::NOT_FOUND, json!("not_found")));
    assert_ne!(stranger.acting_for().await, team);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_invite_link_works_once_and_a_used_expired_or_revoked_one_says_so(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (owner, member, team) = team_with(&app, "member").await;
    assert_eq!(role_of(&app, team, member.user_id).await.as_deref(), Some("member"));

    // Signed out, the link names the team and offers to log in and come back.
    let link = owner.invite("admin").await;
    let visitor = browser_like_client();
    let page = visitor.get(app.url(&link)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Join Acme Research") && page.contains("You're invited as Admin"), "{page}");
    assert!(page.contains(&format!("/login?next=%2Finvite%2F{}", link.trim_start_matches("/invite/"))));

    let first = Person::sign_up(&app, "first@example.com").await;
    assert!(first.page(&link).await.contains(">Accept</button>"));
    assert_eq!(first.accept(&link).await.0, StatusCode::OK);
    assert_eq!(role_of(&app, team, first.user_id).await.as_deref(), Some("admin"));
    let second = Person::sign_up(&app, "second@example.com").await;
    assert_eq!(second.accept(&link).await, (StatusCode::GONE, json!("invite_used")));
    assert!(second.page(&link).await.contains("This invite link has already been used."));
    assert_eq!(role_of(&app, team, second.user_id).await, None);

    let expired = owner.invite("member").await;
    sqlx::query(
        "UPDATE team_invitations SET expires_at = now() - interval '1 second' WHERE expires_at > now()",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    assert_eq!(second.accept(&expired).await, (StatusCode::GONE, json!("invite_expired")));

    let revoked = owner.invite("member").await;
    let pending: Uuid = sqlx::query_scalar("SELECT id FROM team_invitations WHERE revoked_at IS NULL AND accepted_at IS NULL AND expires_at > now()")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        member.call("/api/team/invite/revoke", &[("invite_id", &pending.to_string())]).await.1,
        json!("not_permitted")
    );
    assert_eq!(
        owner.call("/api/team/invite/revoke", &[("invite_id", &pending.to_string())]).await.0,
        StatusCode::OK
    );
    assert_eq!(second.accept(&revoked).await, (StatusCode::GONE, json!("invite_revoked")));
    assert_eq!(second.accept("/invite/0000").await, (StatusCode::NOT_FOUND, json!("invite_unknown")));
    assert_eq!(role_of(&app, team, second.user_id).await, None, "no refused link let anyone in");

    // A Member can't make invite links; an Admin can't invite an Owner.
    let res = member.form("/dashboard/team", "/dashboard/team", &[("role", "member")]).await;
    assert_eq!(location(&res), "/dashboard/team?error=not_permitted");
    let res = owner.form("/dashboard/team", "/dashboard/team", &[("role", "owner")]).await;
    assert_eq!(location(&res), "/dashboard/team?error=role_invalid");
}

#[sqlx::test(migrations = "../migrations")]
async fn members_cant_fund_on_any_channel_until_an_admin_enables_it_and_nothing_is_charged(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (owner, member, team) = team_with(&app, "member").await;
    let processor =
        server::startup::payments::processor(&app.pool, &crate::support::test_config(&[])).await.unwrap();
    save_card(&app.pool, &*processor, VISA, team).await;
    let (attempts, balance) = (attempts_of(&app, team).await, balance_of(&app.pool, team).await);
    let secret = member.key(true).await;
    let refusal = "Your team's admin must enable adding funds for members.";

    // The dashboard: Add Funds is refused (JSON and plain form), and so is a saved card's change.
    let new_card = [
        ("amount", "25"),
        ("card", "new"),
        ("card_number", "4242424242424242"),
        ("expiry", "12/30"),
        ("cvc", "123"),
        ("postal_code", "10001"),
    ];
    assert_eq!(
        member.call("/api/wallet/add-funds", &new_card).await,
        (StatusCode::FORBIDDEN, json!("members_may_not_fund"))
    );
    let res = member.form("/api/wallet/add-funds", "/dashboard/wallet", &new_card).await;
    assert_eq!(location(&res), "/dashboard/wallet?error=members_may_not_fund");
    assert!(member.page("/dashboard/wallet?error=members_may_not_fund").await.contains(refusal));
    // The agent's key, allowed to fund, is refused for its maker.
    let (status, body) = api_fund(&app, &secret, "25.00", "member-1").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], json!(refusal));
    // The chat connection likewise, as a tool error in words.
    let result = chat_add_funds(&app, &secret, "25").await;
    assert_eq!(result["isError"], json!(true));
    assert!(result["content"][0]["text"].as_str().unwrap().contains(refusal), "{result}");
    assert_eq!(attempts_of(&app, team).await, attempts, "no channel started a charge");
    assert_eq!(balance_of(&app.pool, team).await, balance);

    // Owners and Admins can always add funds.
    assert_eq!(owner.call("/api/wallet/add-funds", &new_card).await.0, StatusCode::OK);
    // A Member can't turn it on; an Admin or Owner can, and then every channel works for the Member.
    assert_eq!(
        member.call("/api/team/settings", &[("members_can_fund", "on")]).await.1,
        json!("not_permitted")
    );
    assert_eq!(owner.call("/api/team/settings", &[("members_can_fund", "on")]).await.0, StatusCode::OK);
    assert_eq!(member.call("/api/wallet/add-funds", &new_card).await.0, StatusCode::OK);
    let (status, body) = api_fund(&app, &secret, "25.00", "member-2").await;
    assert_eq!((status, &body["status"]), (StatusCode::OK, &json!("completed")), "{body}");
    let result = chat_add_funds(&app, &secret, "30").await;
    assert_eq!(result["structuredContent"]["status"], json!("completed"), "{result}");
    assert_eq!(balance_of(&app.pool, team).await, balance + rust_decimal::Decimal::from(55));
    // Turned off again (the checkbox absent), the Member is refused again.
    assert_eq!(owner.call("/api/team/settings", &[]).await.0, StatusCode::OK);
    assert_eq!(api_fund(&app, &secret, "25.00", "member-3").await.0, StatusCode::FORBIDDEN);
    // The audit log names each paid top-up's channel and the Member behind the agent's ones.
    let funded: Vec<_> =
        audit_of(&app, team).await.into_iter().filter(|(action, ..)| action == "funds_added").collect();
    let member_email = Some("member@example.com".to_string());
    let channels: Vec<_> =
        funded.iter().map(|(_, channel, who, _)| (channel.as_str(), who.clone())).collect();
    assert_eq!(
        channels,
        vec![("dashboard", None), ("api", member_email.clone()), ("chat", member_email)],
        "the first card was saved by a test helper, as nobody"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_server_enforces_each_role_and_a_team_always_keeps_an_owner(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (owner, admin, team) = team_with(&app, "admin").await;
    let member = Person::sign_up(&app, "member@example.com").await;
    assert_eq!(member.accept(&owner.invite("member").await).await.0, StatusCode::OK);
    let (owner_id, admin_id, member_id) =
        (owner.user_id.to_string(), admin.user_id.to_string(), member.user_id.to_string());
    let refused = (StatusCode::FORBIDDEN, json!("not_permitted"));

    // A Member: no roles, removals, settings, alert threshold, timezone or default card.
    assert_eq!(member.call("/api/team/role", &[("user_id", &admin_id), ("role", "member")]).await, refused);
    assert_eq!(member.call("/api/team/remove", &[("user_id", &admin_id)]).await, refused);
    assert_eq!(member.call("/api/wallet/low-balance-alert", &[("threshold", "5")]).await, refused);
    assert_eq!(member.call("/api/usage/timezone", &[("timezone", "Europe/Paris")]).await, refused);
    // …nor pause someone else's key, but their own.
    let owners_key = owner.key(false).await;
    let owners_key_id: Uuid =
        sqlx::query_scalar("SELECT id FROM spend_keys WHERE account_id = $1 AND created_by = $2")
            .bind(team)
            .bind(owner.user_id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        member.call("/api/keys/change", &[("key_id", &owners_key_id.to_string()), ("change", "pause")]).await,
        refused
    );
    member.key(false).await;
    let own: Uuid = sqlx::query_scalar("SELECT id FROM spend_keys WHERE created_by = $1")
        .bind(member.user_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        member.call("/api/keys/change", &[("key_id", &own.to_string()), ("change", "pause")]).await.0,
        StatusCode::OK
    );
    // An Admin may pause anyone's key, but may not touch an Owner or make one.
    assert_eq!(
        admin
            .call("/api/keys/change", &[("key_id", &owners_key_id.to_string()), ("change", "pause")])
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(admin.call("/api/team/role", &[("user_id", &owner_id), ("role", "member")]).await, refused);
    assert_eq!(admin.call("/api/team/remove", &[("user_id", &owner_id)]).await, refused);
    assert_eq!(admin.call("/api/team/role", &[("user_id", &member_id), ("role", "owner")]).await, refused);
    assert_eq!(
        admin.call("/api/team/role", &[("user_id", &member_id), ("role", "admin")]).await.0,
        StatusCode::OK
    );
    assert_eq!(role_of(&app, team, member.user_id).await.as_deref(), Some("admin"));
    assert_eq!(
        admin.call("/api/team/role", &[("user_id", &member_id), ("role", "boss")]).await,
        (StatusCode::BAD_REQUEST, json!("role_invalid"))
    );

    // The last Owner can neither be demoted nor leave; after a transfer they can.
    let last = (StatusCode::CONFLICT, json!("last_owner"));
    assert_eq!(owner.call("/api/team/role", &[("user_id", &owner_id), ("role", "admin")]).await, last);
    assert_eq!(owner.call("/api/team/remove", &[("user_id", &owner_id)]).await, last);
    assert_eq!(
        owner.call("/api/team/role", &[("user_id", &admin_id), ("role", "owner")]).await.0,
        StatusCode::OK
    );
    assert_eq!(owner.call("/api/team/remove", &[("user_id", &owner_id)]).await.0, StatusCode::OK);
    assert_eq!(role_of(&app, team, owner.user_id).await, None, "the old Owner left");
    assert_ne!(owner.acting_for().await, team, "and acts for their personal account again");
    let _ = owners_key;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_removed_member_is_out_at_once_and_their_keys_stop_even_mid_flight(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (owner, member, team) = team_with(&app, "member").await;
    crate::support::deposit(&app.pool, team, 100).await;
    let secret = member.key(false).await;
    let call = |n: usize| {
        let (url, secret) = (app.url("/v1/requests"), secret.clone());
        async move {
            let res = reqwest::Client::new()
                .post(url)
                .bearer_auth(secret)
                .header("Idempotency-Key", format!("call-{n}"))
                .json(&json!({"service": "exa", "model": "search"}))
                .send()
                .await
                .unwrap();
            res.status()
        }
    };
    assert_eq!(call(0).await, StatusCode::CREATED);

    // Calls in flight while the member is removed: each is answered, and what was answered is what is recorded.
    let calls: Vec<_> = (1..=40).map(|n| tokio::spawn(call(n))).collect();
    let removal = owner.call("/api/team/remove", &[("user_id", &member.user_id.to_string())]).await;
    assert_eq!(removal.0, StatusCode::OK, "{:?}", removal.1);
    let mut created = 1;
    for c in calls {
        match c.await.unwrap() {
            StatusCode::CREATED => created += 1,
            StatusCode::UNAUTHORIZED => {}
            other => panic!("unexpected {other}"),
        }
    }
    let completed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM requests WHERE account_id = $1 AND status = 'completed'")
            .bind(team)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(completed, created, "every 201 is a recorded call and nothing else was charged");
    let spent: rust_decimal::Decimal = sqlx::query_scalar(
        "SELECT -COALESCE(sum(amount), 0) FROM ledger_entries WHERE account_id = $1 AND kind = 'usage'",
    )
    .bind(team)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        spent,
        rust_decimal::Decimal::new(5, 3) * rust_decimal::Decimal::from(created),
        "each 201 paid $0.005"
    );
    assert_eq!(balance_of(&app.pool, team).await, rust_decimal::Decimal::from(100) - spent);
    // After the removal committed, the key is refused; the past usage stays.
    assert_eq!(call(99).await, StatusCode::UNAUTHORIZED);
    assert!(completed >= 1);
    assert_eq!(role_of(&app, team, member.user_id).await, None);
    assert_ne!(member.acting_for().await, team, "the member's session is back on their personal account");
    let (status, _) = member.call("/api/team/switch", &[("account_id", &team.to_string())]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "and can't switch back");
}

/// A paid call through `secret`'s key: the status and the JSON answer.
async fn paid_call(base: String, secret: String, n: usize) -> (StatusCode, Value) {
    let res = reqwest::Client::new()
        .post(format!("{base}/v1/requests"))
        .bearer_auth(secret)
        .header("Idempotency-Key", format!("search-{n}"))
        .json(&json!({"service": "exa", "model": "search"}))
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap())
}

#[sqlx::test(migrations = "../migrations")]
async fn a_member_budget_is_exact_under_64_concurrent_calls_and_binds_only_that_member(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (owner, member, team) = team_with(&app, "member").await;
    crate::support::deposit(&app.pool, team, 100).await;
    let member_id = member.user_id.to_string();
    // Who may set it, and what it takes.
    assert_eq!(
        member.call("/api/team/budget", &[("user_id", &member_id), ("monthly_budget", "1")]).await,
        (StatusCode::FORBIDDEN, json!("not_permitted"))
    );
    for bad in ["0", "-1", "abc", "0.001", "1000000.01", "１０"] {
        let answer =
            owner.call("/api/team/budget", &[("user_id", &member_id), ("monthly_budget", bad)]).await;
        assert_eq!(answer, (StatusCode::BAD_REQUEST, json!("budget_invalid")), "{bad}");
    }
    // $0.10 a month; a search costs $0.005: exactly 20 of 64 calls at once go through.
    let set = owner.call("/api/team/budget", &[("user_id", &member_id), ("monthly_budget", "0.10")]).await;
    assert_eq!(set.0, StatusCode::OK, "{}", set.1);
    let secret = member.key(false).await;
    let calls: Vec<_> =
        (0..64).map(|n| tokio::spawn(paid_call(app.base.clone(), secret.clone(), n))).collect();
    let (mut completed, mut refused, mut answers) = (0, 0, Vec::new());
    for call in calls {
        let answer = call.await.unwrap();
        answers.push(answer.0);
        match answer {
            (StatusCode::CREATED, _) => completed += 1,
            (StatusCode::PAYMENT_REQUIRED, body) => {
                assert_eq!(body, json!({"error": "Member budget reached", "code": 402}));
                refused += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((completed, refused), (20, 44));
    assert_eq!(
        balance_of(&app.pool, team).await,
        rust_decimal::Decimal::new(9990, 2),
        "only the 20 were charged"
    );
    let page = owner.page("/dashboard/team").await;
    assert!(page.contains("$0.10"), "the member's spend this month is on the team page");
    // A retried call answers what it answered; the Owner's own key is not bound by the member's budget.
    for n in [0, 31, 63] {
        assert_eq!(paid_call(app.base.clone(), secret.clone(), n).await.0, answers[n], "call {n} replayed");
    }
    let owners = owner.key(false).await;
    assert_eq!(paid_call(app.base.clone(), owners, 1000).await.0, StatusCode::CREATED);
    // Raising the budget lets the member spend again; clearing it removes the limit.
    assert_eq!(
        owner.call("/api/team/budget", &[("user_id", &member_id), ("monthly_budget", "0.11")]).await.0,
        StatusCode::OK
    );
    assert_eq!(paid_call(app.base.clone(), secret.clone(), 2000).await.0, StatusCode::CREATED);
    assert_eq!(paid_call(app.base.clone(), secret.clone(), 2001).await.0, StatusCode::CREATED);
    assert_eq!(paid_call(app.base.clone(), secret.clone(), 2002).await.0, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(
        owner.call("/api/team/budget", &[("user_id", &member_id), ("monthly_budget", "")]).await.0,
        StatusCode::OK
    );
    assert_eq!(paid_call(app.base.clone(), secret.clone(), 2003).await.0, StatusCode::CREATED);
    // Last month's spend doesn't count this month.
    sqlx::query("UPDATE memberships SET monthly_budget = 0.01, budget_month = budget_month - interval '1 month' WHERE user_id = $1")
        .bind(member.user_id)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(paid_call(app.base.clone(), secret.clone(), 2004).await.0, StatusCode::CREATED);
    assert_eq!(paid_call(app.base.clone(), secret, 2005).await.0, StatusCode::CREATED);
}

/// The account's audit log as stored, oldest first: (action, channel, who's email, address).
async fn audit_of(app: &TestApp, account: Uuid) -> Vec<(String, String, Option<String>, Option<String>)> {
    sqlx::query_as(
        "SELECT e.action, e.channel, u.email, host(e.ip) FROM audit_events e
           LEFT JOIN users u ON u.id = e.actor_user_id
          WHERE e.account_id = $1 ORDER BY e.id",
    )
    .bind(account)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_audit_log_records_each_action_once_with_who_and_where_and_nothing_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (owner, member, team) = team_with(&app, "member").await;
    let member_id = member.user_id.to_string();
    let new_card = crate::support::NEW_CARD_FORM;
    // Refused actions first: none of them leaves a row.
    let before = audit_of(&app, team).await.len();
    assert_eq!(member.call("/api/wallet/add-funds", &new_card).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        member.call("/api/team/settings", &[("members_can_fund", "on")]).await.0,
        StatusCode::FORBIDDEN
    );
    let budget = [("user_id", member_id.as_str()), ("monthly_budget", "-5")];
    assert_eq!(owner.call("/api/team/budget", &budget).await.0, StatusCode::BAD_REQUEST);
    let (status, _) =
        owner.call("/api/team/role", &[("user_id", &owner.user_id.to_string()), ("role", "member")]).await;
    assert_eq!(status, StatusCode::CONFLICT, "the last Owner stays");
    assert_eq!(audit_of(&app, team).await.len(), before, "refused actions leave no row");

    // Then one of each, by the Owner and the Member.
    let (status, draft) = owner.call("/api/wallet/add-funds", &new_card).await;
    assert_eq!(status, StatusCode::OK, "{draft}");
    let attempt_id = draft["id"].as_str().unwrap();
    assert_eq!(owner.call("/api/wallet/confirm", &[("attempt_id", attempt_id)]).await.0, StatusCode::OK);
    // Confirming again charges and logs nothing more.
    assert_eq!(owner.call("/api/wallet/confirm", &[("attempt_id", attempt_id)]).await.0, StatusCode::OK);
    assert_eq!(owner.call("/api/team/settings", &[("members_can_fund", "on")]).await.0, StatusCode::OK);
    // Saving an unchanged setting is not a change.
    assert_eq!(owner.call("/api/team/settings", &[("members_can_fund", "on")]).await.0, StatusCode::OK);
    let secret = member.key(true).await;
    let key_id = only_key_of(&app, team).await;
    let key = key_id.to_string();
    assert_eq!(
        member.call("/api/keys/change", &[("key_id", &key), ("change", "pause")]).await.0,
        StatusCode::OK
    );
    assert_eq!(
        member.call("/api/keys/change", &[("key_id", &key), ("change", "resume")]).await.0,
        StatusCode::OK
    );
    let (status, body) = api_fund(&app, &secret, "12.50", "audit-1").await;
    assert_eq!((status, &body["status"]), (StatusCode::OK, &json!("completed")), "{body}");
    let card: Uuid = sqlx::query_scalar("SELECT id FROM payment_methods WHERE account_id = $1")
        .bind(team)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let card = card.to_string();
    let update =
        [("payment_method_id", card.as_str()), ("new_expiry", "11/31"), ("new_postal_code", "10002")];
    assert_eq!(owner.call("/api/wallet/card/update", &update).await.0, StatusCode::OK);
    // "Make default" on the card that already is changes nothing and logs nothing; on a second card it does.
    assert_eq!(
        owner.call("/api/wallet/card/default", &[("payment_method_id", &card)]).await.0,
        StatusCode::OK
    );
    let mastercard = [("card_number", "5555 5555 5555 4444"), ("amount", "10")];
    let second: Vec<(&str, &str)> = new_card
        .iter()
        .map(|(k, v)| (*k, mastercard.iter().find(|(m, _)| m == k).map_or(*v, |(_, m)| *m)))
        .collect();
    let (status, draft) = owner.call("/api/wallet/add-funds", &second).await;
    assert_eq!(status, StatusCode::OK, "{draft}");
    let attempt_id = draft["id"].as_str().unwrap();
    assert_eq!(owner.call("/api/wallet/confirm", &[("attempt_id", attempt_id)]).await.0, StatusCode::OK);
    let second_card: Uuid =
        sqlx::query_scalar("SELECT id FROM payment_methods WHERE account_id = $1 AND last4 = '4444'")
            .bind(team)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let make_default = [("payment_method_id", second_card.to_string())];
    let make_default: Vec<(&str, &str)> = make_default.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(owner.call("/api/wallet/card/default", &make_default).await.0, StatusCode::OK);
    assert_eq!(
        owner.call("/api/team/role", &[("user_id", &member_id), ("role", "admin")]).await.0,
        StatusCode::OK
    );
    let budget = [("user_id", member_id.as_str()), ("monthly_budget", "40")];
    assert_eq!(owner.call("/api/team/budget", &budget).await.0, StatusCode::OK);
    assert_eq!(owner.call("/api/usage/timezone", &[("timezone", "Europe/Berlin")]).await.0, StatusCode::OK);
    assert_eq!(owner.call("/api/wallet/low-balance-alert", &[("threshold", "5")]).await.0, StatusCode::OK);
    assert_eq!(
        owner.call("/api/wallet/card/remove", &[("payment_method_id", &card)]).await.0,
        StatusCode::OK
    );
    assert_eq!(
        member.call("/api/keys/change", &[("key_id", &key), ("change", "revoke")]).await.0,
        StatusCode::OK
    );
    assert_eq!(owner.call("/api/team/remove", &[("user_id", &member_id)]).await.0, StatusCode::OK);

    let owner_email = Some("owner@example.com".to_string());
    let member_email = Some("member@example.com".to_string());
    let here = Some("127.0.0.1".to_string());
    let row = |action: &str, channel: &str, who: &Option<String>, ip: &Option<String>| {
        (action.to_string(), channel.to_string(), who.clone(), ip.clone())
    };
    let expected = vec![
        row("team_created", "dashboard", &owner_email, &here),
        row("member_invited", "dashboard", &owner_email, &here),
        row("member_joined", "dashboard", &member_email, &here),
        row("card_added", "dashboard", &owner_email, &here),
        row("funds_added", "dashboard", &owner_email, &here),
        row("setting_changed", "dashboard", &owner_email, &here),
        row("key_created", "dashboard", &member_email, &here),
        row("key_paused", "dashboard", &member_email, &here),
        row("key_resumed", "dashboard", &member_email, &here),
        row("funds_added", "api", &member_email, &here),
        row("card_updated", "dashboard", &owner_email, &here),
        row("card_added", "dashboard", &owner_email, &here),
        row("funds_added", "dashboard", &owner_email, &here),
        row("card_made_default", "dashboard", &owner_email, &here),
        row("role_changed", "dashboard", &owner_email, &here),
        row("budget_changed", "dashboard", &owner_email, &here),
        row("setting_changed", "dashboard", &owner_email, &here),
        row("setting_changed", "dashboard", &owner_email, &here),
        row("card_removed", "dashboard", &owner_email, &here),
        row("key_revoked", "dashboard", &member_email, &here),
        row("member_removed", "dashboard", &owner_email, &here),
    ];
    assert_eq!(audit_of(&app, team).await, expected);

    // The page says it in words, newest first, to every member; the CSV holds the same rows.
    let (status, page) = owner.call("/api/audit/page", &[]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let rows = page["rows"].as_array().unwrap();
    assert_eq!(rows.len(), expected.len());
    assert_eq!(rows[0]["action"], json!("member_removed"));
    assert_eq!(rows[0]["detail"], json!("member@example.com"));
    assert_eq!(rows[11]["detail"], json!("$12.50 with Visa •••• 4242"), "{}", rows[11]);
    assert_eq!(rows[11]["who"], json!("member@example.com, key \"agent\""));
    assert_eq!(rows[6]["detail"], json!("member@example.com: Member → Admin"));
    assert_eq!(rows[7]["detail"], json!("Mastercard •••• 4444"));
    let html = owner.page("/dashboard/audit").await;
    assert!(
        html.contains("<h1>Audit log</h1>") && html.contains("Funds added") && html.contains("Role changed")
    );
    let csv = owner.browser.get("/dashboard/audit/export.csv").await.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "id,time,who,action,detail,channel,ip");
    assert_eq!(lines.len(), expected.len() + 1);
    assert!(lines[1].contains(",member_removed,\"member@example.com\",dashboard,127.0.0.1"), "{}", lines[1]);

    // A password change is the person's own: it is logged on their personal account, not the team's.
    let fields = [("current_password", "a long password 1"), ("new_password", "another long password 2")];
    assert_eq!(owner.call("/api/settings/password", &fields).await.0, StatusCode::OK);
    let personal: Uuid = sqlx::query_scalar(
        "SELECT a.id FROM accounts a JOIN memberships m ON m.account_id = a.id
          WHERE m.user_id = $1 AND a.kind = 'personal'",
    )
    .bind(owner.user_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        audit_of(&app, personal).await,
        vec![row("password_changed", "dashboard", &owner_email, &here)]
    );
    assert_eq!(audit_of(&app, team).await.len(), expected.len());

    // Nobody rewrites it, not even with the database's own tools.
    for sql in ["UPDATE audit_events SET detail = 'x'", "DELETE FROM audit_events", "TRUNCATE audit_events"] {
        let err = sqlx::query(sql).execute(&app.pool).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn the_audit_log_is_paged_and_shows_only_the_acting_account(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (owner, member, team) = team_with(&app, "member").await;
    for i in 0..60 {
        let on = if i % 2 == 0 { &[("members_can_fund", "on")][..] } else { &[][..] };
        assert_eq!(owner.call("/api/team/settings", on).await.0, StatusCode::OK);
    }
    let total = audit_of(&app, team).await.len();
    assert_eq!(total, 63, "team created, invited, joined, and 60 changes");
    let (_, first) = member.call("/api/audit/page", &[]).await;
    assert_eq!(first["rows"].as_array().unwrap().len(), 50);
    let older = first["older_than"].as_i64().unwrap().to_string();
    let (_, second) = member.call("/api/audit/page", &[("before", &older)]).await;
    assert_eq!(second["rows"].as_array().unwrap().len(), 13);
    assert_eq!(second["older_than"], Value::Null);
    assert_eq!(second["rows"][12]["action"], json!("team_created"));
    let html = member.page(&format!("/dashboard/audit?before={older}")).await;
    assert!(html.contains(r#"href="/dashboard/audit">Newest</a>"#), "a later page links back to the newest");

    // A stranger, or the member acting for their own account, sees none of the team's rows.
    let stranger = Person::sign_up(&app, "stranger@example.com").await;
    let (_, theirs) = stranger.call("/api/audit/page", &[]).await;
    assert_eq!(theirs["rows"], json!([]));
    let csv = stranger.browser.get("/dashboard/audit/export.csv").await.text().await.unwrap();
    assert_eq!(csv, "id,time,who,action,detail,channel,ip\n");
    // Signed out: the log is behind the login like every dashboard page.
    let anonymous = TestApp { client: browser_like_client(), ..app.clone_handle() };
    let res = anonymous.get("/dashboard/audit/export.csv").await;
    assert!(location(&res).starts_with("/login"), "{}", location(&res));
}

#[sqlx::test(migrations = "../migrations")]
async fn usage_can_be_shown_for_one_member_on_the_page_the_api_and_the_csv(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (owner, member, team) = team_with(&app, "member").await;
    crate::support::deposit(&app.pool, team, 100).await;
    let (owners_key, members_key) = (owner.key(false).await, member.key(false).await);
    // A search costs $0.005: the Owner's key makes 3 calls, the Member's 5.
    for n in 0..3 {
        assert_eq!(paid_call(app.base.clone(), owners_key.clone(), n).await.0, StatusCode::CREATED);
    }
    for n in 10..15 {
        assert_eq!(paid_call(app.base.clone(), members_key.clone(), n).await.0, StatusCode::CREATED);
    }
    let usage = |query: String| {
        let (url, key) = (app.url(&format!("/v1/usage{query}")), owners_key.clone());
        async move {
            let res = reqwest::Client::new().get(url).bearer_auth(key).send().await.unwrap();
            (res.status(), res.json::<Value>().await.unwrap())
        }
    };
    let (status, all) = usage(String::new()).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!((all["totals"]["requests"].clone(), all["totals"]["cost"].clone()), (json!(8), json!("0.04")));
    // By email (any case) or by user id, from any key of the account.
    for who in ["member@example.com", "MEMBER@example.com", &member.user_id.to_string()] {
        let (status, mine) = usage(format!("?member={}", who.replace('@', "%40"))).await;
        assert_eq!(status, StatusCode::OK, "{who}: {mine}");
        assert_eq!(
            (mine["totals"]["requests"].clone(), mine["totals"]["cost"].clone()),
            (json!(5), json!("0.025"))
        );
    }
    // Someone who never belonged to the account names nobody; nor does gibberish.
    let _stranger = Person::sign_up(&app, "stranger@example.com").await;
    for who in ["stranger@example.com", "nobody", "%00"] {
        let (status, body) = usage(format!("?member={who}")).await;
        assert_eq!(
            (status, body["error"].clone()),
            (StatusCode::BAD_REQUEST, json!("Choose a member of this account from the list")),
            "{who}"
        );
    }

    // The page: a "Member" select on a team, and the summary and the calls of that member only.
    let html = owner.page("/dashboard/usage").await;
    assert!(html.contains(r#"<label for="usage-member">Member</label>"#));
    assert!(html.contains(">member@example.com</option>") && html.contains(">owner@example.com</option>"));
    let (status, view) = owner.call("/api/usage/view", &[("member", &member.user_id.to_string())]).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["summary"]["totals"]["requests"], json!(5));
    assert_eq!(view["requests"]["data"].as_array().unwrap().len(), 5);
    let (_, answer) = owner.call("/api/usage/view", &[("member", "stranger@example.com")]).await;
    assert_eq!(answer, json!("member_unknown"));
    // The CSV of that member: their 5 calls and their total.
    let csv = owner
        .browser
        .get(&format!("/dashboard/usage/export.csv?member={}", member.user_id))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().filter(|l| l.starts_with("request,")).count(), 5, "{csv}");
    assert!(csv.lines().any(|l| l.starts_with("total,") && l.ends_with(",5,,,,0.025,")), "{csv}");
    // A removed member's past usage stays, and can still be shown.
    assert_eq!(
        owner.call("/api/team/remove", &[("user_id", &member.user_id.to_string())]).await.0,
        StatusCode::OK
    );
    let (_, mine) = usage("?member=member%40example.com".to_string()).await;
    assert_eq!(mine["totals"]["requests"], json!(5));
    // A personal account has no "Member" select.
    let personal = Person::sign_up(&app, "solo@example.com").await;
    assert!(!personal.page("/dashboard/usage").await.contains("usage-member"));
}

#[sqlx::test(migrations = "../migrations")]
async fn only_an_owner_deletes_an_empty_team_and_everyone_is_out_of_it_at_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (owner, admin, team) = team_with(&app, "admin").await;
    let admins_key = admin.key(false).await;
    let link = owner.invite("member").await;
    // An Admin may not; the Owner must type the name; a wallet with money in it stays.
    assert_eq!(
        admin.call("/api/team/delete", &[("confirm_name", "Acme Research")]).await,
        (StatusCode::FORBIDDEN, json!("not_permitted"))
    );
    assert_eq!(
        owner.call("/api/team/delete", &[("confirm_name", "acme research")]).await,
        (StatusCode::BAD_REQUEST, json!("delete_confirmation_invalid"))
    );
    crate::support::deposit(&app.pool, team, 10).await;
    assert_eq!(
        owner.call("/api/team/delete", &[("confirm_name", "Acme Research")]).await,
        (StatusCode::CONFLICT, json!("team_has_balance"))
    );
    assert_eq!(
        paid_call(app.base.clone(), admins_key.clone(), 1).await.0,
        StatusCode::CREATED,
        "still working"
    );
    assert_eq!(audit_of(&app, team).await.iter().filter(|(a, ..)| a == "team_deleted").count(), 0);

    // A top-up started before the deletion and confirmed after it charges nothing.
    let processor =
        server::startup::payments::processor(&app.pool, &crate::support::test_config(&[])).await.unwrap();
    let choice = tollgate_core::payments::add_funds::CardChoice::New {
        card: crate::support::new_card(VISA),
        save: true,
    };
    let amount = tollgate_domain::money::TopUpAmount::parse("20").unwrap();
    let started = tollgate_core::payments::add_funds::start_draft(
        &app.pool,
        &*processor,
        team,
        amount,
        choice,
        crate::support::PERSON,
        Some(owner.user_id),
    )
    .await
    .unwrap();
    let charges = |pool: PgPool| async move {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM sandbox_processor.charges")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let charged_before = charges(app.pool.clone()).await;

    // Spent down to $0.00, it goes, on the plain form too.
    let spent: rust_decimal::Decimal = balance_of(&app.pool, team).await;
    sqlx::query("UPDATE wallets SET balance = 0 WHERE account_id = $1")
        .bind(team)
        .execute(&app.pool)
        .await
        .unwrap();
    assert!(spent > rust_decimal::Decimal::ZERO);
    let res = owner.form("/api/team/delete", "/dashboard/team", &[("confirm_name", "Acme Research")]).await;
    assert_eq!(location(&res), "/dashboard/team?done=team_deleted");
    assert!(owner.page("/dashboard/team?done=team_deleted").await.contains("Team deleted."));
    // Both people are back on their personal accounts, and the team is in nobody's "Account" list.
    assert_ne!(owner.acting_for().await, team);
    assert_ne!(admin.acting_for().await, team);
    assert!(!admin.page("/dashboard/wallet").await.contains("Acme Research"));
    let (status, _) = admin.call("/api/team/switch", &[("account_id", &team.to_string())]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Its keys stop, its invite link is revoked, and the log records who deleted it.
    assert_eq!(paid_call(app.base.clone(), admins_key, 2).await.0, StatusCode::UNAUTHORIZED);
    let (_, answer) = Person::sign_up(&app, "late@example.com").await.accept(&link).await;
    assert_eq!(answer, json!("invite_revoked"));
    let last = audit_of(&app, team).await.pop().unwrap();
    assert_eq!(
        last,
        (
            "team_deleted".into(),
            "dashboard".into(),
            Some("owner@example.com".into()),
            Some("127.0.0.1".into())
        )
    );
    let late = tollgate_core::payments::add_funds::confirm(
        &app.pool,
        &*processor,
        team,
        started.id,
        crate::support::PERSON,
        Some(owner.user_id),
    );
    assert_eq!(late.await.unwrap_err(), tollgate_domain::error::AppError::NotFound);
    assert_eq!(charges(app.pool.clone()).await, charged_before, "nothing was charged");
    assert_eq!(balance_of(&app.pool, team).await, rust_decimal::Decimal::ZERO);
    // Deleting it again finds nothing.
    assert_eq!(
        owner.call("/api/team/delete", &[("confirm_name", "Acme Research")]).await.1,
        json!("not_found")
    );
}

async fn invite_revoked_at(app: &TestApp, link: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    use sha2::Digest;
    let hash: [u8; 32] = sha2::Sha256::digest(link.trim_start_matches("/invite/").as_bytes()).into();
    sqlx::query_scalar("SELECT revoked_at FROM team_invitations WHERE token_sha256 = $1")
        .bind(&hash[..])
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// An endpoint on `team` added by `maker` (a loopback address nothing listens on: no traffic leaves).
async fn endpoint_added_by(app: &TestApp, team: Uuid, maker: Uuid) -> Uuid {
    let url =
        tollgate_core::webhooks::endpoint_url::EndpointUrl::parse("http://127.0.0.1:9/hook", true).unwrap();
    let localhost = tollgate_core::client_ip::ClientIp::new(std::net::Ipv4Addr::LOCALHOST.into());
    let actor = tollgate_core::audit::Actor::person(team, maker, localhost);
    let events = tollgate_domain::webhooks::EventType::all();
    tollgate_core::webhooks::store::add_endpoint(&app.pool, &actor, &url, &events).await.unwrap().id
}

/// Emits a `balance.low` event on `team` and answers how many deliveries it queued.
async fn deliveries_of_a_new_event(app: &TestApp, team: Uuid) -> i64 {
    let mut tx = app.pool.begin().await.unwrap();
    let event = tollgate_domain::webhooks::EventType::BalanceLow;
    tollgate_core::webhooks::outbox::emit(&mut tx, team, event, json!({"balance": "1.00"})).await.unwrap();
    let queued = sqlx::query_scalar(
        "SELECT count(*) FROM webhook_deliveries d JOIN webhook_events e ON e.account_id = d.account_id AND e.id = d.event_id
          WHERE d.account_id = $1 AND e.created_at = now()",
    )
    .bind(team)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    queued
}

#[sqlx::test(migrations = "../migrations")]
async fn a_removed_or_demoted_admins_invite_links_and_webhook_endpoints_stop_with_them(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (owner, admin, team) = team_with(&app, "admin").await;
    let link = admin.invite("member").await;
    let endpoint = endpoint_added_by(&app, team, admin.user_id).await;
    assert_eq!(deliveries_of_a_new_event(&app, team).await, 1);

    // Removing the Admin revokes their link and disables their endpoint, in the same transaction.
    let admin_id = admin.user_id.to_string();
    assert_eq!(owner.call("/api/team/remove", &[("user_id", &admin_id)]).await.0, StatusCode::OK);
    assert!(invite_revoked_at(&app, &link).await.is_some());
    let newcomer = Person::sign_up(&app, "newcomer@example.com").await;
    assert_eq!(newcomer.accept(&link).await, (StatusCode::GONE, json!("invite_revoked")));
    assert_eq!(role_of(&app, team, newcomer.user_id).await, None);
    let reason: Option<String> =
        sqlx::query_scalar("SELECT disabled_reason FROM webhook_endpoints WHERE id = $1")
            .bind(endpoint)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(reason.as_deref(), Some("Disabled: the person who added it left the team"));
    assert_eq!(deliveries_of_a_new_event(&app, team).await, 0, "a departed Admin's endpoint gets nothing");
    let settings = owner.page("/dashboard/settings").await;
    assert!(settings.contains("Disabled: the person who added it left the team"), "{settings}");
    assert!(settings.contains(">Turn on</button>"));
    let resend: i64 = sqlx::query_scalar("SELECT id FROM webhook_deliveries WHERE endpoint_id = $1 LIMIT 1")
        .bind(endpoint)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        owner.call("/api/settings/webhooks/resend", &[("delivery_id", &resend.to_string())]).await,
        (StatusCode::CONFLICT, json!("webhook_endpoint_disabled"))
    );
    // An Owner turns it back on (a plain form, JavaScript off); it gets events again and is now theirs.
    let res = owner
        .form(
            "/api/settings/webhooks/enable",
            "/dashboard/settings",
            &[("endpoint_id", &endpoint.to_string())],
        )
        .await;
    assert_eq!(location(&res), "/dashboard/settings?done=webhook_enabled");
    assert_eq!(deliveries_of_a_new_event(&app, team).await, 1);
    let maker: Uuid = sqlx::query_scalar("SELECT created_by FROM webhook_endpoints WHERE id = $1")
        .bind(endpoint)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(maker, owner.user_id);
    let actions: Vec<String> = audit_of(&app, team).await.into_iter().map(|(action, ..)| action).collect();
    assert!(actions.ends_with(&[
        "member_removed".into(),
        "invite_revoked".into(),
        "webhook_disabled".into(),
        "webhook_enabled".into()
    ]));

    // Demoted to Member: their pending link is revoked, and so is their endpoint's delivery.
    let second = Person::sign_up(&app, "second@example.com").await;
    assert_eq!(second.accept(&owner.invite("admin").await).await.0, StatusCode::OK);
    let seconds_link = second.invite("member").await;
    let seconds_endpoint = endpoint_added_by(&app, team, second.user_id).await;
    let demote = [("user_id", second.user_id.to_string()), ("role", "member".to_string())];
    let demote: Vec<(&str, &str)> = demote.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(owner.call("/api/team/role", &demote).await.0, StatusCode::OK);
    assert!(invite_revoked_at(&app, &seconds_link).await.is_some());
    let reason: Option<String> =
        sqlx::query_scalar("SELECT disabled_reason FROM webhook_endpoints WHERE id = $1")
            .bind(seconds_endpoint)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(reason.as_deref(), Some("Disabled: the person who added it can no longer manage webhooks"));

    // A link whose maker lost the right to invite some other way is refused when accepted.
    let third = Person::sign_up(&app, "third@example.com").await;
    assert_eq!(third.accept(&owner.invite("admin").await).await.0, StatusCode::OK);
    let thirds_link = third.invite("member").await;
    sqlx::query("UPDATE memberships SET role = 'member' WHERE account_id = $1 AND user_id = $2")
        .bind(team)
        .bind(third.user_id)
        .execute(&app.pool)
        .await
        .unwrap();
    let late = Person::sign_up(&app, "late@example.com").await;
    assert_eq!(late.accept(&thirds_link).await, (StatusCode::GONE, json!("invite_revoked")));
    assert!(late.page(&thirds_link).await.contains("This invite link was revoked."));
    assert_eq!(role_of(&app, team, late.user_id).await, None);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_member_takes_back_their_own_card_any_time_and_their_cards_leave_with_them(pool: PgPool) {
    use tollgate_core::payments::auto_top_up::settings;
    use tollgate_domain::payments::auto_top_up::AutoTopUpRule;
    let app = spawn_app(pool).await;
    let (owner, member, team) = team_with(&app, "member").await;
    assert_eq!(owner.call("/api/team/settings", &[("members_can_fund", "on")]).await.0, StatusCode::OK);
    let members_card = |last4: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, Uuid>(
                "SELECT id FROM payment_methods WHERE account_id = $1 AND last4 = $2 AND removed_at IS NULL",
            )
            .bind(team)
            .bind(last4)
            .fetch_optional(&pool)
            .await
            .unwrap()
        }
    };
    let member = &member;
    let save = |number: &'static str| {
        let fields: Vec<(&str, &str)> = crate::support::NEW_CARD_FORM
            .iter()
            .map(|&(k, v)| if k == "card_number" { (k, number) } else { (k, v) })
            .collect();
        async move {
            let (status, draft) = member.call("/api/wallet/add-funds", &fields).await;
            assert_eq!(status, StatusCode::OK, "{draft}");
            let id = draft["id"].as_str().unwrap();
            assert_eq!(member.call("/api/wallet/confirm", &[("attempt_id", id)]).await.0, StatusCode::OK);
        }
    };
    save("4242 4242 4242 4242").await;
    save("5555 5555 5555 4444").await;
    let (visa, mastercard) = (members_card("4242").await.unwrap(), members_card("4444").await.unwrap());
    // With "Members can add funds" off, they can't use or change it, but can still remove it.
    assert_eq!(owner.call("/api/team/settings", &[]).await.0, StatusCode::OK);
    let visa_id = visa.to_string();
    let update = [("payment_method_id", visa_id.as_str()), ("new_expiry", "11/31"), ("new_postal_code", "")];
    assert_eq!(
        member.call("/api/wallet/card/update", &update).await,
        (StatusCode::FORBIDDEN, json!("members_may_not_fund"))
    );
    let res = member
        .form("/api/wallet/card/remove", "/dashboard/wallet", &[("payment_method_id", &visa.to_string())])
        .await;
    assert_eq!(location(&res), "/dashboard/wallet");
    assert_eq!(members_card("4242").await, None, "removed");

    // The Owner sets auto top-up on the Member's other card; the Member leaves: the card goes with them.
    let rule = AutoTopUpRule::parse("5", "50", "500").unwrap();
    let owner_actor = crate::support::owner_actor(&app.pool, team).await;
    let turn_on = settings::Change::TurnOn { rule, card: Some(mastercard) };
    settings::change(&app.pool, &owner_actor, turn_on).await.unwrap();
    let member_id = member.user_id.to_string();
    assert_eq!(member.call("/api/team/remove", &[("user_id", &member_id)]).await.0, StatusCode::OK);
    assert_eq!(members_card("4444").await, None, "their card left with them");
    let rule = settings::view(&app.pool, team).await.unwrap();
    assert!(!rule.enabled);
    assert_eq!(
        rule.disabled_reason.as_deref(),
        Some("Auto top-up was turned off because Mastercard •••• 4444 was removed. Choose another card, then turn auto top-up back on.")
    );
    let owners_page = owner.page("/dashboard/wallet").await;
    assert!(!owners_page.contains("•••• 4444</span>"), "gone from the saved cards");
}

/// Two Admins removing each other at the same moment: each decides on its role as the lock finds it, so
/// exactly one succeeds and the other, already gone, is refused.
#[sqlx::test(migrations = "../migrations")]
async fn two_admins_removing_each_other_at_once_one_succeeds(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (owner, first, team) = team_with(&app, "admin").await;
    for round in 0..6 {
        let second = Person::sign_up(&app, &format!("second{round}@example.com")).await;
        assert_eq!(second.accept(&owner.invite("admin").await).await.0, StatusCode::OK);
        let (first_id, second_id) = (first.user_id.to_string(), second.user_id.to_string());
        let (remove_second, remove_first) =
            ([("user_id", second_id.as_str())], [("user_id", first_id.as_str())]);
        let (a, b) = tokio::join!(
            first.call("/api/team/remove", &remove_second),
            second.call("/api/team/remove", &remove_first)
        );
        let outcomes = [a.0, b.0];
        assert!(outcomes.contains(&StatusCode::OK), "{outcomes:?}");
        let members = (role_of(&app, team, first.user_id).await, role_of(&app, team, second.user_id).await);
        assert!(members.0.is_some() != members.1.is_some(), "exactly one remains: {members:?} {outcomes:?}");
        let refused = if a.0 == StatusCode::OK { &b } else { &a };
        assert_eq!(refused.0, StatusCode::FORBIDDEN, "{refused:?}");
        if members.0.is_none() {
            return; // the first Admin is gone: nobody left to race
        }
    }
}

/// "Save changes" on a key's edit form (a plain form post): where it sends the browser.
async fn post(who: &Person, fields: Vec<(&'static str, String)>) -> String {
    let key = fields.iter().find(|(k, _)| *k == "key_id").map(|(_, v)| v.clone()).unwrap();
    let borrowed: Vec<(&str, &str)> =
        fields.iter().filter(|(k, _)| *k != "key_id").map(|(k, v)| (*k, v.as_str())).collect();
    let page = format!("/dashboard/keys?edit={key}");
    location(&who.form(&format!("/dashboard/keys/{key}/edit"), &page, &borrowed).await)
}

/// A free call (`open-meteo`) through `secret`'s key: its status.
async fn free_call(app: &TestApp, secret: &str) -> StatusCode {
    reqwest::Client::new()
        .post(app.url("/v1/requests"))
        .bearer_auth(secret)
        .json(&json!({"service": "open-meteo", "model": "forecast"}))
        .send()
        .await
        .unwrap()
        .status()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_key_is_edited_by_its_maker_or_an_admin_and_the_next_call_sees_it(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (owner, member, team) = team_with(&app, "member").await;
    let secret = member.key(false).await;
    let key_id = only_key_of(&app, team).await;
    let key = key_id.to_string();
    assert_eq!(
        free_call(&app, &secret).await,
        StatusCode::CREATED,
        "every service, remembered by the server"
    );
    let edit = |fields: &[(&'static str, &'static str)]| {
        let mut all = vec![("key_id", key.clone())];
        all.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
        all
    };
    let exa_only = edit(&[("name", "search agent"), ("limit_period", "daily"), ("services", "exa")]);

    let saved = "/dashboard/keys?done=key_changed".to_string();
    let refused = |code: &str| format!("/dashboard/keys?edit={key}&error={code}");
    // Another Member can't edit it; a bad value changes nothing.
    let other = Person::sign_up(&app, "other@example.com").await;
    assert_eq!(other.accept(&owner.invite("member").await).await.0, StatusCode::OK);
    assert_eq!(post(&other, exa_only.clone()).await, refused("not_permitted"));
    let bad = edit(&[("name", "x"), ("rate_limit", "0")]);
    assert_eq!(post(&member, bad).await, refused("rate_limit_invalid"));
    assert!(member.page(&refused("rate_limit_invalid")).await.contains("Enter a rate limit of 1 to 100,000"));
    assert_eq!(free_call(&app, &secret).await, StatusCode::CREATED, "unchanged");

    // Its maker takes every service but Exa away: the very next call is refused.
    let form = member.page(&format!("/dashboard/keys?edit={key}")).await;
    assert!(form.contains(">Save changes</button>") && form.contains(r#"value="agent""#), "filled in");
    assert_eq!(post(&member, exa_only.clone()).await, saved);
    assert!(member.page(&saved).await.contains("Changes saved."));
    assert_eq!(free_call(&app, &secret).await, StatusCode::FORBIDDEN);
    let (name, services): (String, Option<Vec<String>>) =
        sqlx::query_as("SELECT name, allowed_services FROM spend_keys WHERE id = $1")
            .bind(key_id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((name.as_str(), services), ("search agent", Some(vec!["exa".to_string()])));
    // Saving the same again changes nothing and logs nothing.
    assert_eq!(post(&member, exa_only).await, saved);

    // The Owner may edit anyone's: every service again, one call a minute — seen within moments on every
    // server (the edit is announced at commit; each server forgets the keys it remembered).
    let one_a_minute = edit(&[("name", "search agent"), ("limit_period", "daily"), ("rate_limit", "1")]);
    assert_eq!(post(&owner, one_a_minute).await, saved);
    // A new minute (the calls above were counted in this one, as free calls are by default).
    sqlx::query("DELETE FROM spend_key_minutes WHERE spend_key_id = $1")
        .bind(key_id)
        .execute(&app.pool)
        .await
        .unwrap();
    let mut answers = Vec::new();
    for _ in 0..20 {
        answers.push(free_call(&app, &secret).await);
        if answers.last() == Some(&StatusCode::TOO_MANY_REQUESTS) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(answers.contains(&StatusCode::CREATED), "allowed again: {answers:?}");
    assert_eq!(answers.last(), Some(&StatusCode::TOO_MANY_REQUESTS), "{answers:?}");

    let changed: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT detail, (SELECT email FROM users WHERE id = e.actor_user_id) FROM audit_events e
          WHERE account_id = $1 AND action = 'key_changed' ORDER BY id",
    )
    .bind(team)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        changed,
        vec![
            (
                "Key \"agent\": name \"agent\" → \"search agent\"; services all → exa".to_string(),
                Some("member@example.com".into())
            ),
            (
                "Key \"search agent\": rate limit none → 1 a minute; services exa → all".into(),
                Some("owner@example.com".into())
            ),
        ]
    );

    // A revoked key can't change.
    let revoke = [("key_id", key.as_str()), ("change", "revoke")];
    assert_eq!(member.call("/api/keys/change", &revoke).await.0, StatusCode::OK);
    let again = edit(&[("name", "back")]);
    assert_eq!(post(&owner, again).await, refused("spend_key_revoked"));
}

#[sqlx::test(migrations = "../migrations")]
async fn one_person_has_made_at_most_twenty_teams_at_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let maker = Person::sign_up(&app, "maker@example.com").await;
    let first = maker.create_team("Team 1").await;
    sqlx::query(
        "INSERT INTO accounts (name, kind, created_by) SELECT 'Made ' || n, 'team', $1 FROM generate_series(2, 20) n",
    )
    .bind(maker.user_id)
    .execute(&app.pool)
    .await
    .unwrap();
    let res = maker.form("/api/team/create", "/dashboard/team", &[("team_name", "Team 21")]).await;
    assert_eq!(location(&res), "/dashboard/team?error=too_many_teams");
    assert!(maker.page("/dashboard/team?error=too_many_teams").await.contains("at most 20 teams"));
    let teams: i64 =
        sqlx::query_scalar("SELECT count(*) FROM accounts WHERE created_by = $1 AND kind = 'team'")
            .bind(maker.user_id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(teams, 20, "nothing was made");
    // Deleting one makes room.
    let res = maker.form("/api/team/delete", "/dashboard/team", &[("confirm_name", "Team 1")]).await;
    assert_eq!(location(&res), "/dashboard/team?done=team_deleted");
    assert_ne!(maker.create_team("Team 21").await, first);
}
