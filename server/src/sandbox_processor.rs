//! The sandbox card processor (docs/CONTRACT.md "Sandbox card processor"): Stripe's public test numbers decide
//! the outcome. It stands in for a real processor, so it behaves like one:
//! - it keeps its own records (schema `sandbox_processor`), so recovery can ask it about a charge by key;
//! - it never stores a full card number or a CVC: tokenizing keeps only the behaviour the number selects,
//!   brand, last4, expiry and postal code;
//! - a charge is made once per idempotency key; a repeat answers the first outcome;
//! - the expiry is checked against today at charge time, so a saved card can expire while saved.

use async_trait::async_trait;
use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;
use std::time::Duration;
use tollgate_core::payments::disputes::{self, DisputeNews, Received, Stage};
use tollgate_core::payments::processor::{
    CardToken, ChargeOutcome, PaymentProcessor, Presence, ProcessorError, RefundOutcome,
};
use tollgate_domain::money::Usd;
use tollgate_domain::payments::card::{Expiry, PostalCode};
use tollgate_domain::payments::decline::{Decline, DeclineCode};
use tollgate_domain::payments::new_card::NewCard;
use uuid::Uuid;

/// The issuer's billing postal code on file for the address-check card.
const ADDRESS_ON_FILE: &str = "94107";

pub struct SandboxProcessor {
    pool: PgPool,
    /// Simulated network and issuer time per charge (`TOLLGATE_SANDBOX_LATENCY_MS`).
    latency: Duration,
    today: fn() -> NaiveDate,
}

impl SandboxProcessor {
    /// Creates the processor's own tables if missing.
    pub async fn install(pool: PgPool, latency: Duration) -> Result<SandboxProcessor, sqlx::Error> {
        let mut tx = pool.begin().await?;
        // Two instances starting together must not race on CREATE.
        sqlx::query("SELECT pg_advisory_xact_lock(7342001)").execute(&mut *tx).await?;
        for statement in SCHEMA {
            sqlx::query(statement).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(SandboxProcessor { pool, latency, today: || Utc::now().date_naive() })
    }
}

const SCHEMA: [&str; 4] = [
    "CREATE SCHEMA IF NOT EXISTS sandbox_processor",
    "CREATE TABLE IF NOT EXISTS sandbox_processor.cards (
        token       text PRIMARY KEY,
        behaviour   text NOT NULL,
        brand       text NOT NULL,
        last4       text NOT NULL,
        exp_month   int  NOT NULL,
        exp_year    int  NOT NULL,
        postal_code text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
    )",
    "CREATE TABLE IF NOT EXISTS sandbox_processor.charges (
        idempotency_key text PRIMARY KEY,
        charge_id       text NOT NULL UNIQUE,
        token           text NOT NULL,
        amount          numeric(20, 8) NOT NULL,
        decline_code    text,
        decline_reason  text,
        created_at      timestamptz NOT NULL DEFAULT now()
    )",
    "CREATE TABLE IF NOT EXISTS sandbox_processor.refunds (
        idempotency_key text PRIMARY KEY,
        refund_id       text NOT NULL UNIQUE,
        charge_id       text NOT NULL,
        amount          numeric(20, 8) NOT NULL,
        failure         text,
        created_at      timestamptz NOT NULL DEFAULT now()
    )",
];

/// What a card does when charged, chosen by its test number when it is tokenized and kept (by this name,
/// in `sandbox_processor.cards.behaviour`) instead of the number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
enum Behaviour {
    Succeed,
    GenericDecline,
    InsufficientFunds,
    LostCard,
    StolenCard,
    ExpiredCard,
    IncorrectCvc,
    ProcessingError,
    /// Declines unless the billing postal code is the issuer's on file.
    AddressCheck,
    /// Charges succeed; a refund to it is refused by its bank.
    RefundFails,
    /// Charges succeed and are disputed right after (`fraudulent`), as Stripe's test card is.
    Disputed,
}

impl Behaviour {
    /// What a test number does. Any other valid number succeeds.
    fn of(number: &str) -> Behaviour {
        match number {
            "4000000000000002" => Behaviour::GenericDecline,
            "4000000000009995" => Behaviour::InsufficientFunds,
            "4000000000009987" => Behaviour::LostCard,
            "4000000000009979" => Behaviour::StolenCard,
            "4000000000000069" => Behaviour::ExpiredCard,
            "4000000000000127" => Behaviour::IncorrectCvc,
            "4000000000000119" => Behaviour::ProcessingError,
            "4000000000000010" => Behaviour::AddressCheck,
            "4000000000005126" => Behaviour::RefundFails,
            "4000000000000259" => Behaviour::Disputed,
            _ => Behaviour::Succeed,
        }
    }

    /// The decline, if any, a card with this behaviour gives today.
    fn decide(self, expiry: Expiry, postal_code: &str, today: NaiveDate) -> Option<Decline> {
        let decline = |code: DeclineCode, reason: &str| Some(Decline { code, reason: reason.to_string() });
        if expiry.has_passed(today) {
            return decline(DeclineCode::ExpiredCard, "expired_card");
        }
        match self {
            Behaviour::Succeed | Behaviour::RefundFails | Behaviour::Disputed => None,
            Behaviour::GenericDecline => decline(DeclineCode::GenericDecline, "generic_decline"),
            Behaviour::InsufficientFunds => decline(DeclineCode::InsufficientFunds, "insufficient_funds"),
            Behaviour::LostCard => decline(DeclineCode::GenericDecline, "lost_card"),
            Behaviour::StolenCard => decline(DeclineCode::GenericDecline, "stolen_card"),
            Behaviour::ExpiredCard => decline(DeclineCode::ExpiredCard, "expired_card"),
            Behaviour::IncorrectCvc => decline(DeclineCode::IncorrectCvc, "incorrect_cvc"),
            Behaviour::ProcessingError => decline(DeclineCode::ProcessingError, "processing_error"),
            Behaviour::AddressCheck if postal_code != ADDRESS_ON_FILE => {
                decline(DeclineCode::IncorrectAddress, "incorrect_address")
            }
            Behaviour::AddressCheck => None,
        }
    }
}

fn unavailable(err: sqlx::Error) -> ProcessorError {
    ProcessorError::Unavailable(err.to_string())
}

#[async_trait]
impl PaymentProcessor for SandboxProcessor {
    #[tracing::instrument(name = "sandbox_processor::tokenize", skip_all)]
    async fn tokenize(&self, card: NewCard) -> Result<CardToken, ProcessorError> {
        let token = format!("tok_sandbox_{}", Uuid::new_v4().simple());
        let brand = card.number.brand();
        let last4 = card.number.last4();
        sqlx::query(
            "INSERT INTO sandbox_processor.cards (token, behaviour, brand, last4, exp_month, exp_year, postal_code)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&token)
        .bind(Behaviour::of(card.number.digits()))
        .bind(brand)
        .bind(&last4)
        .bind(card.expiry.month as i32)
        .bind(card.expiry.year)
        .bind(card.postal_code.as_str())
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        // The number and CVC end here: `card` is dropped.
        Ok(CardToken { token, brand, last4, expiry: card.expiry, postal_code: card.postal_code })
    }

    #[tracing::instrument(name = "sandbox_processor::update_card", skip_all)]
    async fn update_card(
        &self,
        token: &str,
        expiry: Expiry,
        postal_code: &PostalCode,
    ) -> Result<(), ProcessorError> {
        let updated = sqlx::query(
            "UPDATE sandbox_processor.cards SET exp_month = $2, exp_year = $3, postal_code = $4 WHERE token = $1",
        )
        .bind(token)
        .bind(expiry.month as i32)
        .bind(expiry.year)
        .bind(postal_code.as_str())
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        if updated.rows_affected() == 0 {
            return Err(ProcessorError::UnknownToken);
        }
        Ok(())
    }

    #[tracing::instrument(name = "sandbox_processor::charge", skip_all)]
    async fn charge(
        &self,
        token: &str,
        amount: Usd,
        idempotency_key: &str,
        // The sandbox's cards never ask for 3-D Secure: a person there or not, the outcome is the same.
        _presence: Presence,
    ) -> Result<ChargeOutcome, ProcessorError> {
        tokio::time::sleep(self.latency).await;
        let card: CardRow = sqlx::query_as(
            "SELECT behaviour, exp_month, exp_year, postal_code FROM sandbox_processor.cards WHERE token = $1",
        )
        .bind(token)
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?
        .ok_or(ProcessorError::UnknownToken)?;
        let expiry = Expiry { month: card.exp_month as u32, year: card.exp_year };
        let decline = card.behaviour.decide(expiry, &card.postal_code, (self.today)());
        let charge_id = format!("ch_sandbox_{}", Uuid::new_v4().simple());
        // Exactly one charge per key: the first insert wins, every repeat reads it back.
        sqlx::query(
            "INSERT INTO sandbox_processor.charges (idempotency_key, charge_id, token, amount, decline_code, decline_reason)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(idempotency_key)
        .bind(&charge_id)
        .bind(token)
        .bind(amount.amount())
        .bind(decline.as_ref().map(|d| d.code))
        .bind(decline.as_ref().map(|d| d.reason.clone()))
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        let (stored_token, stored_amount, outcome) = self
            .charge_by_key(idempotency_key)
            .await?
            .ok_or_else(|| ProcessorError::Unavailable("charge vanished after insert".into()))?;
        if stored_token != token || stored_amount != amount.amount() {
            return Err(ProcessorError::KeyReuse);
        }
        if let (Behaviour::Disputed, ChargeOutcome::Succeeded { charge_id }) = (card.behaviour, &outcome) {
            dispute_right_after(self.pool.clone(), charge_id.clone(), amount.amount());
        }
        Ok(outcome)
    }

    #[tracing::instrument(name = "sandbox_processor::refund", skip_all)]
    async fn refund(
        &self,
        charge_id: &str,
        amount: Usd,
        idempotency_key: &str,
    ) -> Result<RefundOutcome, ProcessorError> {
        tokio::time::sleep(self.latency).await;
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        // The charge's row, locked: two refunds of one charge are decided one after the other.
        let charge: Option<(Decimal, Behaviour, Option<String>)> = sqlx::query_as(
            "SELECT c.amount, k.behaviour, c.decline_code FROM sandbox_processor.charges c
               JOIN sandbox_processor.cards k ON k.token = c.token
              WHERE c.charge_id = $1 FOR UPDATE OF c",
        )
        .bind(charge_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(unavailable)?;
        let Some((charged, behaviour, declined)) = charge else {
            return Err(ProcessorError::Refused(format!("no such charge: {charge_id}")));
        };
        let refunded: Decimal = sqlx::query_scalar(
            "SELECT COALESCE(sum(amount), 0) FROM sandbox_processor.refunds WHERE charge_id = $1 AND failure IS NULL",
        )
        .bind(charge_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(unavailable)?;
        let failure = if declined.is_some() {
            Some("the charge was declined: there is nothing to refund".to_string())
        } else if refunded + amount.amount() > charged {
            Some(format!("the refund would exceed the charge ({} left)", Usd::new(charged - refunded)))
        } else if behaviour == Behaviour::RefundFails {
            Some("the card's bank refused the refund (the card account is closed)".to_string())
        } else {
            None
        };
        let refund_id = format!("re_sandbox_{}", Uuid::new_v4().simple());
        // Exactly one refund per key: a repeat reads the first back.
        sqlx::query(
            "INSERT INTO sandbox_processor.refunds (idempotency_key, refund_id, charge_id, amount, failure)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(idempotency_key)
        .bind(&refund_id)
        .bind(charge_id)
        .bind(amount.amount())
        .bind(&failure)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        let (refund_id, stored_charge, stored_amount, failure): (String, String, Decimal, Option<String>) =
            sqlx::query_as(
                "SELECT refund_id, charge_id, amount, failure FROM sandbox_processor.refunds WHERE idempotency_key = $1",
            )
            .bind(idempotency_key)
            .fetch_one(&mut *tx)
            .await
            .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        if stored_charge != charge_id || stored_amount != amount.amount() {
            return Err(ProcessorError::KeyReuse);
        }
        Ok(match failure {
            None => RefundOutcome::Succeeded { refund_id },
            Some(reason) => RefundOutcome::Failed { reason },
        })
    }

    #[tracing::instrument(name = "sandbox_processor::find_charge", skip_all)]
    async fn find_charge(&self, idempotency_key: &str) -> Result<Option<ChargeOutcome>, ProcessorError> {
        Ok(self.charge_by_key(idempotency_key).await?.map(|(_, _, outcome)| outcome))
    }
}

/// The cardholder disputes the charge right after it succeeded: the news reaches Tollgate as a processor's
/// would, and — like Stripe, which sends an event again until it is taken — again until Tollgate has recorded
/// the deposit it is about (its answer to the charge is recorded after this call returns). A repeat of the
/// same charge's news is the same dispute, applied once.
fn dispute_right_after(pool: PgPool, charge_id: String, amount: Decimal) {
    tokio::spawn(async move {
        let dispute_id = charge_id.replacen("ch_sandbox_", "dp_sandbox_", 1);
        let news = DisputeNews {
            processor_dispute_id: &dispute_id,
            processor_charge_id: &charge_id,
            amount,
            stage: Stage::Opened,
            reason: Some("fraudulent"),
        };
        for _ in 0..240 {
            match disputes::receive(&pool, &news).await {
                Ok(Received::Applied | Received::Unchanged) => return,
                Ok(Received::UnknownCharge) | Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        }
        tracing::warn!(%charge_id, "the sandbox's dispute found no recorded deposit within a minute");
    });
}

impl SandboxProcessor {
    async fn charge_by_key(
        &self,
        key: &str,
    ) -> Result<Option<(String, Decimal, ChargeOutcome)>, ProcessorError> {
        let row: Option<ChargeRow> = sqlx::query_as(
            "SELECT charge_id, token, amount, decline_code, decline_reason
               FROM sandbox_processor.charges WHERE idempotency_key = $1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(row.map(|r| (r.token.clone(), r.amount, r.outcome())))
    }
}

#[derive(sqlx::FromRow)]

struct CardRow {
    behaviour: Behaviour,
    exp_month: i32,
    exp_year: i32,
    postal_code: String,
}

/// A charge as recorded. Its `decline_code` is read as text on purpose: a code this build doesn't know is
/// still a decline (`Decline::unrecognised`), never a success and never an unreadable charge.
#[derive(sqlx::FromRow)]
struct ChargeRow {
    charge_id: String,
    token: String,
    amount: Decimal,
    decline_code: Option<String>,
    decline_reason: Option<String>,
}

impl ChargeRow {
    fn outcome(&self) -> ChargeOutcome {
        let charge_id = self.charge_id.clone();
        let Some(code) = self.decline_code.as_deref() else {
            return ChargeOutcome::Succeeded { charge_id };
        };
        let decline = match code.parse::<DeclineCode>() {
            Ok(code) => Decline {
                code,
                reason: self.decline_reason.clone().unwrap_or_else(|| code.as_str().to_string()),
            },
            Err(_) => {
                tracing::error!(code, "the processor answered a decline code this build doesn't know");
                Decline::unrecognised(code)
            }
        };
        ChargeOutcome::Declined { charge_id, decline }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_contracts_card_table() {
        let future = Expiry { month: 12, year: 2030 };
        let today = day(2026, 11, 27);
        let code =
            |number: &str, postal: &str| Behaviour::of(number).decide(future, postal, today).map(|d| d.code);
        assert_eq!(code("4242424242424242", "10001"), None);
        assert_eq!(code("5555555555554444", "10001"), None);
        assert_eq!(code("4000000000000002", "10001"), Some(DeclineCode::GenericDecline));
        assert_eq!(code("4000000000009995", "10001"), Some(DeclineCode::InsufficientFunds));
        assert_eq!(code("4000000000009987", "10001"), Some(DeclineCode::GenericDecline));
        assert_eq!(code("4000000000009979", "10001"), Some(DeclineCode::GenericDecline));
        assert_eq!(code("4000000000000069", "10001"), Some(DeclineCode::ExpiredCard));
        assert_eq!(code("4000000000000127", "10001"), Some(DeclineCode::IncorrectCvc));
        assert_eq!(code("4000000000000119", "10001"), Some(DeclineCode::ProcessingError));
        assert_eq!(code("4000000000000010", "10001"), Some(DeclineCode::IncorrectAddress));
        assert_eq!(code("4000000000000010", "94107"), None);
    }

    #[test]
    fn lost_and_stolen_keep_their_real_reason_for_our_records_only() {
        let d = Behaviour::StolenCard.decide(Expiry { month: 1, year: 2030 }, "1", day(2026, 1, 1)).unwrap();
        assert_eq!(
            (d.code, d.reason.as_str(), d.is_lost_or_stolen()),
            (DeclineCode::GenericDecline, "stolen_card", true)
        );
    }

    #[test]
    fn a_recorded_decline_code_this_build_does_not_know_is_a_decline_never_a_success() {
        let row = |code: Option<&str>| ChargeRow {
            charge_id: "ch_1".into(),
            token: "tok_1".into(),
            amount: Decimal::from(10),
            decline_code: code.map(str::to_string),
            decline_reason: None,
        };
        let ChargeOutcome::Declined { decline, .. } = row(Some("card_velocity_exceeded")).outcome() else {
            panic!("an unknown code was read as a success");
        };
        assert_eq!(decline.code, DeclineCode::GenericDecline);
        assert!(matches!(row(Some("incorrect_cvc")).outcome(),
            ChargeOutcome::Declined { decline, .. } if decline.code == DeclineCode::IncorrectCvc));
        assert!(matches!(row(None).outcome(), ChargeOutcome::Succeeded { .. }));
    }

    #[test]
    fn a_card_whose_expiry_month_has_passed_is_declined_as_expired() {
        let d = Behaviour::Succeed.decide(Expiry { month: 10, year: 2026 }, "1", day(2026, 11, 1)).unwrap();
        assert_eq!(d.code, DeclineCode::ExpiredCard);
        assert!(Behaviour::Succeed
            .decide(Expiry { month: 11, year: 2026 }, "1", day(2026, 11, 30))
            .is_none());
    }
}
