//! Monthly statements, billing details and receipt numbers (docs/CONTRACT.md "Statements"), on the real
//! Postgres through the real router: months in the account's timezone from a ledger written at chosen
//! times, each closing balance the next opening and the last the wallet's balance; the CSV read back line
//! by line; the PDF read back with `pdftotext`; receipts numbered without gaps by concurrent deposits.

use crate::support::{account_of, balance_of, spawn_app, Rng, TestApp, NEW_CARD_FORM};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use sqlx::PgPool;
use std::collections::BTreeMap;
use tollgate_core::ledger::{self, Posting};
use tollgate_core::reads::statements;
use tollgate_domain::ledger::EntryKind;
use tollgate_domain::statements::Month;
use uuid::Uuid;

async fn customer(pool: &PgPool, email: &str, timezone: &str) -> (TestApp, Uuid) {
    let app = spawn_app(pool.clone()).await;
    app.sign_up(email, "correct-horse-1").await;
    let account = account_of(pool, email).await;
    sqlx::query("UPDATE accounts SET timezone = $2, created_at = now() - interval '400 days' WHERE id = $1")
        .bind(account)
        .bind(timezone)
        .execute(pool)
        .await
        .unwrap();
    (app, account)
}

/// Posts `kind` moving `amount` at `at`, as the ledger posts every entry.
async fn post(pool: &PgPool, account: Uuid, kind: EntryKind, amount: Decimal, at: DateTime<Utc>) {
    let mut tx = pool.begin().await.unwrap();
    let posting = Posting { account_id: account, kind, amount, reference: "test", at: Some(at) };
    ledger::post(&mut tx, posting).await.unwrap();
    tx.commit().await.unwrap();
}

/// The local month an instant falls in, by chrono-tz (independently of PostgreSQL's `AT TIME ZONE`).
fn month_of(at: DateTime<Utc>, tz: chrono_tz::Tz) -> Month {
    Month::of(at.with_timezone(&tz).date_naive())
}

/// An instant at a local month's start (plus `micros`, which may be negative: just before it).
fn month_start(year: i32, month: u32, tz: chrono_tz::Tz, micros: i64) -> DateTime<Utc> {
    let local = NaiveDate::from_ymd_opt(year, month, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
    tz.from_local_datetime(&local).earliest().unwrap().with_timezone(&Utc) + Duration::microseconds(micros)
}

/// For random ledgers written over thirteen months in timezones with odd offsets — entries on and just
/// before local midnight of the 1st among them —: every month's per-kind totals are the model's (bucketed by
/// chrono-tz), each closing is the next opening, each month's lines add up, the last closing is the wallet's
/// balance, and the CSV of each month says the same line by line.
#[sqlx::test(migrations = "../migrations")]
async fn each_closing_is_the_next_opening_in_the_accounts_timezone(pool: PgPool) {
    let zones = ["Asia/Kathmandu", "America/St_Johns", "Pacific/Chatham"];
    for (case, zone) in zones.iter().enumerate() {
        let tz: chrono_tz::Tz = zone.parse().unwrap();
        let (app, account) = customer(&pool, &format!("statements{case}@example.test"), zone).await;
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (case as u64 + 1));
        let now = Utc::now();
        let first = month_of(now - Duration::days(390), tz);
        // The times: random instants over the months, plus each month's first microsecond and the one before.
        let mut times: Vec<DateTime<Utc>> =
            (0..60).map(|_| now - Duration::seconds(rng.next(390 * 86_400) as i64 + 60)).collect();
        let mut month = first;
        while month < month_of(now, tz) {
            let next = month.next();
            let start = next.first_day();
            use chrono::Datelike;
            times.push(month_start(start.year(), start.month(), tz, 0));
            times.push(month_start(start.year(), start.month(), tz, -1));
            month = next;
        }
        times.retain(|at| *at < now);
        times.sort();
        let mut balance = Decimal::ZERO;
        let mut model: BTreeMap<(Month, &'static str), Decimal> = BTreeMap::new();
        for at in times {
            let (kind, amount) = match rng.next(6) {
                0 | 1 => (EntryKind::Deposit, Decimal::new(rng.next(50_000) as i64 + 100, 2)),
                2 => (EntryKind::Usage, -Decimal::new(rng.next(900_000) as i64 + 1, 8)),
                3 => (EntryKind::Adjustment, Decimal::new(rng.next(2_000) as i64 - 1_000, 2)),
                4 => (EntryKind::Refund, -Decimal::new(rng.next(3_000) as i64 + 1, 2)),
                _ => (EntryKind::DisputeWon, Decimal::new(rng.next(1_000) as i64 + 1, 2)),
            };
            // Debits only within the paid credit there is, so every entry is one the ledger takes.
            let paid = balance
                - model.iter().filter(|((_, k), _)| *k == "promotional").map(|(_, v)| *v).sum::<Decimal>();
            if (amount.is_zero()) || (amount < Decimal::ZERO && -amount > paid) {
                continue;
            }
            post(&pool, account, kind, amount, at).await;
            balance += amount;
            let label = match kind {
                EntryKind::DisputeWon => "dispute_won",
                EntryKind::Deposit => "deposit",
                EntryKind::Usage => "usage",
                EntryKind::Adjustment => "adjustment",
                _ => "refund",
            };
            *model.entry((month_of(at, tz), label)).or_default() += amount;
        }
        assert_eq!(balance_of(&pool, account).await, balance);

        let all = statements::of_account(&pool, account).await.unwrap();
        assert_eq!(all.timezone.name(), *zone);
        let months = all.months;
        assert_eq!(months.first().unwrap().month, first, "{zone}: months start when the account opened");
        assert_eq!(months.last().unwrap().month, month_of(Utc::now(), tz));
        assert!(months.last().unwrap().to_date);
        assert_eq!(months.first().unwrap().opening.amount(), Decimal::ZERO);
        for pair in months.windows(2) {
            assert_eq!(
                pair[0].closing, pair[1].opening,
                "{zone}: {} closes where {} opens",
                pair[0].month, pair[1].month
            );
        }
        assert_eq!(
            months.last().unwrap().closing.amount(),
            balance,
            "{zone}: the current month closes at the balance"
        );
        for m in &months {
            let of = |label: &str| model.get(&(m.month, label)).copied().unwrap_or_default();
            assert_eq!(m.deposits.amount(), of("deposit"), "{zone} {}", m.month);
            assert_eq!(m.usage.amount(), of("usage"), "{zone} {}", m.month);
            assert_eq!(m.adjustments.amount(), of("adjustment"), "{zone} {}", m.month);
            assert_eq!(m.refunds.amount(), of("refund"), "{zone} {}", m.month);
            assert_eq!(m.disputes_won.amount(), of("dispute_won"), "{zone} {}", m.month);
            let lines: Decimal = m.lines().iter().map(|(_, a)| a.amount()).sum();
            assert_eq!(m.opening.amount() + lines, m.closing.amount());
            // A download reads only the month and what came after; it says the same.
            let (alone, _) = statements::of_month(&pool, account, m.month).await.unwrap();
            assert_eq!(&alone, m, "{zone}: {} read alone", m.month);
        }
        // Paged three lines at a time, a month's lines are the ones read in one go, in the same order.
        let busiest = months.iter().max_by_key(|m| m.deposits.amount()).unwrap();
        let (whole, end) = statements::month_lines(
            &pool,
            account,
            busiest.month,
            tz,
            None,
            busiest.opening.amount(),
            10_000,
        )
        .await
        .unwrap();
        assert!(end.is_none() && whole.len() > 3, "{zone}: {} lines", whole.len());
        let (mut paged, mut after, mut balance) = (Vec::new(), None, busiest.opening.amount());
        loop {
            let (lines, next) =
                statements::month_lines(&pool, account, busiest.month, tz, after, balance, 3).await.unwrap();
            balance = lines.last().map_or(balance, |l| l.balance_after);
            paged.extend(lines);
            match next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(paged, whole, "{zone}: {} paged", busiest.month);
        // Three months' CSVs, read back: opening first, closing last, every balance counted on exactly.
        for m in months.iter().rev().take(3).chain(months.first()) {
            let csv = app.get(&m.file_path("csv")).await;
            assert_eq!(csv.status(), StatusCode::OK);
            let body = csv.text().await.unwrap();
            let rows = parse_csv(&body);
            assert_eq!(rows[0], ["date", "kind", "description", "amount", "balance_after"]);
            assert_eq!(rows[1][1], "opening");
            assert_eq!(rows[1][4].parse::<Decimal>().unwrap(), m.opening.amount());
            assert_eq!(rows.last().unwrap()[1], "closing");
            assert_eq!(rows.last().unwrap()[4].parse::<Decimal>().unwrap(), m.closing.amount());
            let mut running = m.opening.amount();
            for row in &rows[2..rows.len() - 1] {
                running += row[3].parse::<Decimal>().unwrap();
                assert_eq!(row[4].parse::<Decimal>().unwrap(), running, "{zone} {}: {row:?}", m.month);
                assert!(row[0].starts_with(&m.month.to_string()), "{zone}: {row:?} is dated in {}", m.month);
            }
            assert_eq!(running, m.closing.amount());
        }
    }
}

/// RFC 4180 as the statement writes it: fields quoted when they hold a comma, quote or line break.
fn parse_csv(body: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field, mut quoted, mut chars) =
        (Vec::new(), String::new(), false, body.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

async fn deposit_with_saved_card(app: &TestApp, card: &str, amount: &str) -> (StatusCode, String) {
    let (status, draft) =
        app.call("/api/wallet/add-funds", &[("amount", amount), ("card", card), ("save_card", "")]).await;
    if status != StatusCode::OK {
        return (status, draft.to_string());
    }
    let id = draft["id"].as_str().unwrap().to_string();
    let (status, paid) = app.call("/api/wallet/confirm", &[("attempt_id", &id)]).await;
    (status, paid["status"].as_str().unwrap_or_default().to_string())
}

/// Sixteen deposits at once (two of them declined) number their receipts 1 to 14: no gap, no repeat, in
/// the order they were credited; the receipt page says "Receipt TG-000003".
#[sqlx::test(migrations = "../migrations")]
async fn concurrent_deposits_number_their_receipts_without_gaps(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    app.sign_up("receipts@example.test", "correct-horse-1").await;
    let account = account_of(&pool, "receipts@example.test").await;
    let (status, draft) = app.call("/api/wallet/add-funds", &NEW_CARD_FORM).await;
    assert_eq!(status, StatusCode::OK, "{draft}");
    let id = draft["id"].as_str().unwrap().to_string();
    let (status, _) = app.call("/api/wallet/confirm", &[("attempt_id", &id)]).await;
    assert_eq!(status, StatusCode::OK);
    let card: Uuid = sqlx::query_scalar("SELECT id FROM payment_methods WHERE account_id = $1")
        .bind(account)
        .fetch_one(&pool)
        .await
        .unwrap();
    let card = card.to_string();
    let deposits = (0..15).map(|i| {
        let app = app.clone_handle();
        let card = card.clone();
        async move { deposit_with_saved_card(&app, &card, &format!("{}", 10 + i)).await }
    });
    let outcomes = futures::future::join_all(deposits).await;
    assert!(outcomes.iter().all(|(status, _)| *status == StatusCode::OK), "{outcomes:?}");
    let numbers: Vec<(i32, String)> = sqlx::query_as(
        "SELECT receipt_number, status FROM payment_attempts WHERE account_id = $1 AND status = 'succeeded'
          ORDER BY ledger_entry_id",
    )
    .bind(account)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(numbers.iter().map(|(n, _)| *n).collect::<Vec<_>>(), (1..=16).collect::<Vec<_>>());
    let issued: i32 = sqlx::query_scalar("SELECT receipts_issued FROM wallets WHERE account_id = $1")
        .bind(account)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(issued, 16);
    // A declined attempt takes no number.
    let mut declined = NEW_CARD_FORM.to_vec();
    declined[2] = ("card_number", "4000 0000 0000 0002");
    let (_, draft) = app.call("/api/wallet/add-funds", &declined).await;
    let id = draft["id"].as_str().unwrap().to_string();
    let (_, answer) = app.call("/api/wallet/confirm", &[("attempt_id", &id)]).await;
    assert_eq!(answer["status"], "failed", "{answer}");
    let missing: Option<i32> =
        sqlx::query_scalar("SELECT receipt_number FROM payment_attempts WHERE id = $1")
            .bind(id.parse::<Uuid>().unwrap())
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(missing, None);
    let third: Uuid =
        sqlx::query_scalar("SELECT id FROM payment_attempts WHERE account_id = $1 AND receipt_number = 3")
            .bind(account)
            .fetch_one(&pool)
            .await
            .unwrap();
    let (status, receipt) = app.call("/api/wallet/receipt", &[("id", &third.to_string())]).await;
    assert_eq!(status, StatusCode::OK, "{receipt}");
    assert_eq!(receipt["number"], "TG-000003");
}

async fn save_billing(app: &TestApp, fields: &[(&str, &str)]) -> (StatusCode, serde_json::Value) {
    app.call("/api/settings/billing/save", fields).await
}

/// Billing details: each wrong field refused with its code and nothing written; saved ones (unicode kept)
/// are in the audit log, on the receipt and in the statement's PDF, which `pdftotext` reads back with the
/// month's figures; a Member may read but not change them; another month or a strange file name is
/// "not found"; signed out, the download asks to log in.
#[sqlx::test(migrations = "../migrations")]
async fn billing_details_are_printed_on_receipts_and_the_pdf(pool: PgPool) {
    let (app, account) = customer(&pool, "billing@example.test", "Europe/Berlin").await;
    let refused = [
        (
            vec![
                ("legal_name", " "),
                ("address", ""),
                ("country", "DE"),
                ("tax_id_type", ""),
                ("tax_id_value", ""),
            ],
            "legal_name_invalid",
        ),
        (
            vec![
                ("legal_name", "Ann"),
                ("address", ""),
                ("country", "ZZ"),
                ("tax_id_type", ""),
                ("tax_id_value", ""),
            ],
            "country_unknown",
        ),
        (
            vec![
                ("legal_name", "Ann"),
                ("address", ""),
                ("country", "DE"),
                ("tax_id_type", "eu_vat"),
                ("tax_id_value", ""),
            ],
            "tax_id_invalid",
        ),
    ];
    for (fields, code) in refused {
        let (status, answer) = save_billing(&app, &fields).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert!(answer.to_string().contains(code), "{answer}");
    }
    let long = "a".repeat(501);
    let (status, _) = save_billing(
        &app,
        &[
            ("legal_name", "Ann"),
            ("address", &long),
            ("country", "DE"),
            ("tax_id_type", ""),
            ("tax_id_value", ""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM billing_details").fetch_one(&pool).await.unwrap();
    assert_eq!(rows, 0, "a refused form writes nothing");

    let fields = [
        ("legal_name", "Müller & Söhne GmbH"),
        ("address", "Hauptstraße 1\r\n10115 Berlin"),
        ("country", "de"),
        ("tax_id_type", "eu_vat"),
        ("tax_id_value", "DE123456789"),
    ];
    let (status, answer) = save_billing(&app, &fields).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let logged: String = sqlx::query_scalar(
        "SELECT detail FROM audit_events WHERE account_id = $1 AND action = 'setting_changed'",
    )
    .bind(account)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(logged, "Billing details: Müller & Söhne GmbH, Germany");
    // Saving the same again changes nothing and logs nothing.
    save_billing(&app, &fields).await;
    let logged: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE account_id = $1 AND action = 'setting_changed'",
    )
    .bind(account)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(logged, 1);

    // A deposit, a paid call's worth of usage and an adjustment this month.
    let (_, draft) = app.call("/api/wallet/add-funds", &NEW_CARD_FORM).await;
    let id = draft["id"].as_str().unwrap().to_string();
    let (status, _) = app.call("/api/wallet/confirm", &[("attempt_id", &id)]).await;
    assert_eq!(status, StatusCode::OK);
    post(&pool, account, EntryKind::Adjustment, Decimal::new(-125, 2), Utc::now()).await;
    let (_, receipt) = app.call("/api/wallet/receipt", &[("id", &id)]).await;
    assert_eq!(receipt["number"], "TG-000001");
    assert_eq!(receipt["billed_to_details"]["legal_name"], "Müller & Söhne GmbH");
    assert_eq!(receipt["billed_to_details"]["tax_id"]["value"], "DE123456789");

    let month = month_of(Utc::now(), chrono_tz::Europe::Berlin);
    let pdf = app.get(&format!("/dashboard/statements/{month}.pdf")).await;
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let text = pdf_text(&bytes);
    for expected in [
        "Tollgate statement",
        &format!("{} (to date)", month.label()),
        "Müller & Söhne GmbH",
        "Hauptstraße 1",
        "Germany",
        "EU VAT number: DE123456789",
        "Times in Europe/Berlin",
        "Opening balance",
        "Deposits",
        "$25.00",
        "Adjustments",
        "-$1.25",
        "Closing balance (to date)",
        "$23.75",
        "Deposit, receipt TG-000001",
    ] {
        assert!(text.contains(expected), "the PDF's text lacks {expected:?}:\n{text}");
    }

    // New details make out the receipts that follow; the one issued keeps its own.
    let renamed = [
        ("legal_name", "Müller AG"),
        ("address", ""),
        ("country", "CH"),
        ("tax_id_type", ""),
        ("tax_id_value", ""),
    ];
    assert_eq!(save_billing(&app, &renamed).await.0, StatusCode::OK);
    let (_, receipt) = app.call("/api/wallet/receipt", &[("id", &id)]).await;
    assert_eq!(receipt["billed_to_details"]["legal_name"], "Müller & Söhne GmbH", "{receipt}");
    let (_, draft) = app.call("/api/wallet/add-funds", &NEW_CARD_FORM).await;
    let second = draft["id"].as_str().unwrap().to_string();
    app.call("/api/wallet/confirm", &[("attempt_id", &second)]).await;
    let (_, receipt) = app.call("/api/wallet/receipt", &[("id", &second)]).await;
    assert_eq!(
        (receipt["number"].as_str(), receipt["billed_to_details"]["legal_name"].as_str()),
        (Some("TG-000002"), Some("Müller AG"))
    );
    assert_eq!(receipt["billed_to_details"]["tax_id"], serde_json::Value::Null);

    // Not found: before the account opened, after this month, and names that aren't YYYY-MM.pdf/.csv.
    for path in ["2020-01.pdf", "2999-01.csv", "2026-13.pdf", "2026-12.txt", "..%2F..%2Fetc.pdf", "x.csv"] {
        let res = app.get(&format!("/dashboard/statements/{path}")).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // Signed out: log in first.
    let stranger = spawn_app(pool.clone()).await;
    let res = stranger.get(&format!("/dashboard/statements/{month}.csv")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(crate::support::location(&res).starts_with("/login"));
    // Another person's statement is theirs, not this account's.
    stranger.sign_up("other@example.test", "correct-horse-1").await;
    let theirs = stranger.get(&format!("/dashboard/statements/{month}.csv")).await.text().await.unwrap();
    assert!(!theirs.contains("25.00"), "{theirs}");
}

/// The text `pdftotext` reads from a PDF.
fn pdf_text(pdf: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("tollgate-statement-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("statement.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils, installed by scripts/tools.sh) runs");
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The "done when", end to end: a finance person refunds half of a customer's deposit from the back
/// office, and the customer sees it on the receipt, the statement's PDF and CSV; a dispute then drives the
/// wallet negative, which the statement shows, and the next deposit pays it back.
#[sqlx::test(migrations = "../migrations")]
async fn a_refund_and_a_dispute_are_on_the_customers_statement(pool: PgPool) {
    use crate::refunds::{customer_with_deposit, refund, staff_member};
    use tollgate_core::payments::disputes::{self, DisputeNews, Stage};
    use tollgate_domain::staff::StaffRole;
    let (customer, account, payment) =
        customer_with_deposit(&pool, "refunded@example.test", "4242 4242 4242 4242", "40").await;
    let finance = staff_member(&pool, "finance@tollgate.test", StaffRole::Finance).await;
    let (status, answer) = refund(&finance, account, payment, "20").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (_, receipt) = customer.call("/api/wallet/receipt", &[("id", &payment.to_string())]).await;
    assert!(receipt["refunds"][0].as_str().unwrap().starts_with("Refunded $20.00 on "), "{receipt}");
    post(&pool, account, EntryKind::Usage, Decimal::new(-15, 0), Utc::now()).await;
    let charge: String = sqlx::query_scalar("SELECT processor_charge_id FROM payment_attempts WHERE id = $1")
        .bind(payment)
        .fetch_one(&pool)
        .await
        .unwrap();
    let news = DisputeNews {
        processor_dispute_id: "dp_statement",
        processor_charge_id: &charge,
        amount: Decimal::new(20, 0),
        stage: Stage::Opened,
        reason: None,
    };
    disputes::receive(&pool, &news).await.unwrap();
    assert_eq!(balance_of(&pool, account).await, Decimal::new(-15, 0));

    let (status, page) = customer.call("/api/statements/months", &[]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let this_month = &page["months"][0];
    assert_eq!(this_month["refunds"], "-20.00000000");
    assert_eq!(this_month["disputes"], "-20.00000000");
    assert_eq!(this_month["closing"], "-15.00000000");
    let month = this_month["month"].clone();
    let month = Month::parse(&format!("{}-{:02}", month["year"], month["month"].as_u64().unwrap())).unwrap();

    let csv = customer.get(&format!("/dashboard/statements/{month}.csv")).await.text().await.unwrap();
    let rows = parse_csv(&csv);
    let refund_row = rows.iter().find(|r| r[1] == "refund").expect("a refund row");
    assert_eq!((refund_row[2].as_str(), refund_row[3].as_str()), ("Refund to the card", "-20.00"));
    let dispute_row = rows.iter().find(|r| r[1] == "dispute").expect("a dispute row");
    assert_eq!((dispute_row[3].as_str(), dispute_row[4].as_str()), ("-20.00", "-15.00"));
    let text =
        pdf_text(&customer.get(&format!("/dashboard/statements/{month}.pdf")).await.bytes().await.unwrap());
    for expected in ["Refunds", "-$20.00", "Refund to the card", "Disputes", "Card dispute opened", "-$15.00"]
    {
        assert!(text.contains(expected), "the PDF's text lacks {expected:?}:\n{text}");
    }

    // The next deposit pays the debt; the month closes at the balance again.
    let (_, draft) = customer.call("/api/wallet/add-funds", &NEW_CARD_FORM).await;
    let id = draft["id"].as_str().unwrap().to_string();
    let (_, paid) = customer.call("/api/wallet/confirm", &[("attempt_id", &id)]).await;
    assert_eq!(paid["status"], "succeeded", "{paid}");
    assert_eq!(balance_of(&pool, account).await, Decimal::new(10, 0));
    let last = statements::of_account(&pool, account).await.unwrap().months.pop().unwrap();
    assert_eq!(last.closing.amount(), Decimal::new(10, 0));
    assert_eq!(last.deposits.amount(), Decimal::new(65, 0));
}
