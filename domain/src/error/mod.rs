//! The one error type of Tollgate. Every variant has a stable machine code (never renamed: clients and
//! pages match on it), an HTTP status for the JSON API, and the message a person sees (docs/CONTRACT.md
//! "Errors and their codes").

mod cause;

pub use cause::Cause;
use serde::{Deserialize, Serialize};

#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    thiserror::Error,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum AppError {
    #[error("Invalid email or password")]
    InvalidCredentials,
    #[error("Enter a valid email address")]
    InvalidEmail,
    #[error("An account with this email already exists. Log in instead.")]
    EmailTaken,
    #[error("Password must be at least 10 characters")]
    PasswordTooShort,
    #[error("Password must be at most 1,024 characters")]
    PasswordTooLong,
    #[error("Your current password is not right")]
    WrongCurrentPassword,
    #[error("Your session has ended. Log in again.")]
    NotSignedIn,
    #[error("This request came from another site and was refused.")]
    CrossSiteRequest,
    #[error("Not found")]
    NotFound,
    #[error("Insufficient wallet balance")]
    InsufficientBalance,
    #[error("Your wallet is negative after a card dispute. Add funds to continue.")]
    WalletNegative,
    #[error("Enter a valid amount")]
    AmountInvalid,
    #[error("Amount can have at most 2 decimal places")]
    AmountTooManyDecimals,
    #[error("Enter an amount between $10.00 and $10,000.00")]
    AmountOutOfRange,
    #[error("Enter a promotional amount between $0.01 and $10,000.00, in whole cents")]
    GrantAmountInvalid,
    #[error("Choose an expiry date in the future, at most 5 years away")]
    GrantExpiryInvalid,
    #[error("Enter a reason (up to 500 characters)")]
    ReasonRequired,
    #[error("No one has a Tollgate login with this email. They sign up first; then add them.")]
    StaffNeedsLogin,
    #[error("Support may grant at most $100.00 at a time")]
    GrantOverRoleLimit,
    #[error("Enter an adjustment between -$1,000,000.00 and $1,000,000.00, not zero, in whole cents")]
    AdjustmentInvalid,
    #[error("This would take the paid credit below zero")]
    PaidCreditTooLow,
    #[error("Enter a refund amount above $0.00, in whole cents")]
    RefundAmountInvalid,
    #[error("That is more than is left of this deposit to refund")]
    RefundExceedsRefundable,
    #[error("Someone else must approve this: you asked for it")]
    SecondPersonRequired,
    #[error("This was already decided")]
    AlreadyDecided,
    #[error("Tollgate bills in US dollars only. Enter the amount in USD; your card issuer converts at its own exchange rate.")]
    CurrencyNotSupported,
    #[error("Your card number is invalid.")]
    InvalidCardNumber,
    #[error("Enter the expiry date as MM/YY")]
    InvalidExpiry,
    #[error("Enter the 3 or 4 digit security code (CVC)")]
    InvalidCvc,
    #[error("Enter the billing postal code")]
    InvalidPostalCode,
    #[error("Enter a new expiry or billing postal code")]
    CardUpdateEmpty,
    /// A login throttled by docs/CONTRACT.md "Limits and account security"; `minutes` is the wait, rounded up.
    #[error("Too many attempts. Try again in {minutes} minutes.")]
    TooManyAttempts { minutes: u32 },
    #[error("Too many sign-ups from your network. Try again later.")]
    TooManySignups,
    #[error("Too many declined attempts. Try again in 15 minutes.")]
    CardTestingLocked,
    #[error("Too many card attempts from your network. Try again in 15 minutes.")]
    CardAttemptsFromNetwork,
    #[error("Adding new cards is paused for a few minutes. Use a saved card or try again later.")]
    NewCardsPaused,
    #[error("This card is no longer saved. Use another card.")]
    CardNotSaved,
    /// With a processor whose script takes cards in the browser (docs/CONTRACT.md "Card processors"), a
    /// new card posted without it.
    #[error("Adding a new card needs JavaScript")]
    NewCardNeedsJavascript,
    /// A card setup the processor didn't finish or that isn't this account's.
    #[error("Your card wasn't set up. Enter it again.")]
    CardSetupIncomplete,
    /// A draft confirmed more than 30 minutes after it was made (docs/CONTRACT.md "Add Funds flow").
    #[error("This top-up expired. Start again.")]
    TopUpExpired,
    #[error("A processing error occurred. Try again in a moment.")]
    ProcessorUnavailable,
    #[error("Enter a key name of up to 100 characters")]
    KeyNameInvalid,
    #[error("Enter a spend limit between $0.01 and $1,000,000.00, with at most 2 decimal places")]
    SpendLimitInvalid,
    #[error("Enter an alert threshold between $0.00 and $1,000,000.00, with at most 2 decimal places")]
    ThresholdInvalid,
    #[error("Invalid spend key. Send it as \"Authorization: Bearer tg_sk_…\".")]
    UnknownSpendKey,
    #[error("This spend key is paused. Resume it on the Keys page to use it.")]
    SpendKeyPaused,
    #[error("This spend key has been revoked.")]
    SpendKeyRevoked,
    #[error("Spend key limit reached")]
    KeyLimitReached,
    /// A team member's keys would pass the monthly budget an Admin set for them (docs/CONTRACT.md "Teams").
    #[error("Member budget reached")]
    MemberBudgetReached,
    #[error("This spend key is not allowed to call this service")]
    ServiceNotAllowed,
    #[error("This spend key is not allowed to add funds. Turn on \"Allow adding funds\" for it.")]
    FundingNotAllowed,
    /// The chat channel's wording of `FundingNotAllowed`: a chat connection is a spend key whose owner sees
    /// it on the Keys page.
    #[error("This connection may not add funds. Allow it on the Keys page.")]
    ConnectionMayNotFund,
    /// The consent page's refusals (docs/CONTRACT.md "Chat (MCP)"): a request that can't be sent back to
    /// the app is explained on the page instead.
    #[error("This app isn't registered with Tollgate. Start connecting again from the app.")]
    ChatAppUnknown,
    #[error(
        "This app asked to send you back to an address it didn't register, so Tollgate won't send you there."
    )]
    ChatAppRedirectInvalid,
    #[error("This connection request is incomplete or not secure enough (it needs PKCE with S256). Start connecting again from the app.")]
    ChatAppRequestInvalid,
    #[error("Too many connection attempts. Try again in a few minutes.")]
    TooManyConnectionAttempts,
    #[error("Spend key funding limit reached")]
    FundingLimitReached,
    /// docs/CONTRACT.md "Teams": the guide's prerequisite, on every funding channel.
    #[error("Your team's admin must enable adding funds for members.")]
    MembersMayNotFund,
    #[error("You don't have permission to do that.")]
    NotPermitted,
    #[error("Enter a team name of up to 100 characters")]
    TeamNameInvalid,
    #[error("You can have made at most 20 teams. Delete one you no longer use first.")]
    TooManyTeams,
    #[error("Enter a monthly budget between $0.01 and $1,000,000.00, with at most 2 decimal places, or leave it empty for none")]
    BudgetInvalid,
    #[error("Choose a role from the list")]
    RoleInvalid,
    /// Usage filtered by a member this account has never had.
    #[error("Choose a member of this account from the list")]
    MemberUnknown,
    #[error("A team needs an Owner. Make someone else Owner first.")]
    LastOwner,
    #[error("Type the team's name exactly as it is shown to delete it")]
    DeleteConfirmationInvalid,
    #[error("A team can be deleted only when its wallet is at $0.00 and no top-up is in progress. Spend the balance first.")]
    TeamHasBalance,
    #[error("This invite link isn't valid. Ask for a new one.")]
    InviteUnknown,
    #[error("This invite link has already been used.")]
    InviteUsed,
    #[error("This invite link has expired. Ask for a new one.")]
    InviteExpired,
    #[error("This invite link was revoked. Ask for a new one.")]
    InviteRevoked,
    #[error("Enter a daily funding limit between $0.01 and $10,000.00, with at most 2 decimal places")]
    FundingLimitInvalid,
    #[error("Enter a rate limit of 1 to 100,000 requests per minute, or leave it empty for none")]
    RateLimitInvalid,
    /// docs/CONTRACT.md "Auto top-up": each of the rule's fields has its own message.
    #[error(
        "Enter a \"When balance falls below\" amount from $1.00 to $9,990.00, with at most 2 decimal places"
    )]
    AutoTopUpThresholdInvalid,
    #[error("Enter a \"Top up to\" amount at least $10.00 above \"When balance falls below\" and at most $10,000.00")]
    AutoTopUpTargetInvalid,
    #[error("Enter a monthly limit from $10.00 to $1,000,000.00, with at most 2 decimal places")]
    AutoTopUpLimitInvalid,
    #[error("Add a card first: auto top-up charges a saved card.")]
    AutoTopUpNeedsCard,
    #[error("Enter the endpoint's https:// URL (up to 2,048 characters)")]
    WebhookUrlInvalid,
    #[error("Webhook endpoints must be on the public internet, not a private or local network address")]
    WebhookUrlPrivate,
    #[error("Choose at least one event to send")]
    WebhookEventsMissing,
    #[error("An account can have at most 10 webhook endpoints. Delete one first.")]
    WebhookEndpointsFull,
    #[error("This endpoint is disabled. Turn it on first.")]
    WebhookEndpointDisabled,
    #[error("At most 10 resends a minute. Try again in a minute.")]
    TooManyResends,
    /// An agent may not turn back on a rule Tollgate turned off because of its card.
    #[error("Tollgate turned auto top-up off because of its card. A person must turn it back on on the wallet page.")]
    AutoTopUpNeedsPerson,
    #[error("Rate limit exceeded")]
    RateLimitExceeded,
    #[error("Too many failed authentications")]
    TooManyFailedAuthentications,
    #[error("Unknown service or model")]
    UnknownService,
    #[error("Usage must be whole, non-negative token counts")]
    InvalidUsage,
    #[error("The request body is not valid JSON for this call")]
    InvalidRequestBody,
    #[error("A query parameter is not valid for this call")]
    InvalidQuery,
    #[error("Choose dates as YYYY-MM-DD, with Since on or before Until and at most 366 days apart")]
    DateRangeInvalid,
    #[error("Choose a timezone from the list")]
    TimezoneInvalid,
    /// docs/CONTRACT.md "Statements": Settings → "Billing details", one message per field.
    #[error("Enter the legal name receipts are made out to (up to 200 characters)")]
    LegalNameInvalid,
    #[error("The address can be at most 500 characters")]
    BillingAddressTooLong,
    #[error("Choose a country from the list")]
    CountryUnknown,
    #[error("Choose the tax ID's type and enter its number: 2 to 40 letters, digits, spaces, dots, dashes or slashes")]
    TaxIdInvalid,
    #[error("An Idempotency-Key header is required")]
    IdempotencyKeyRequired,
    #[error("This Idempotency-Key was already used with different parameters")]
    IdempotencyKeyReused,
    #[error("A request with this Idempotency-Key is still being processed. Try again shortly.")]
    IdempotencyInProgress,
    #[error("This checkout link has expired. Ask for a new one.")]
    CheckoutExpired,
    #[error("This checkout link has already been used.")]
    CheckoutUsed,
    #[error("Hold an amount above $0 and at most $10,000.00, with at most 8 decimal places")]
    HoldAmountInvalid,
    #[error("Hold for 1 to 86,400 seconds")]
    HoldLifetimeInvalid,
    #[error("A capture can't be more than its hold; the hold is still open")]
    CaptureExceedsHold,
    #[error("Capture by usage needs a hold that names its model; capture an amount instead")]
    HoldHasNoModel,
    #[error("Capture either an amount (0 to $10,000.00, at most 8 decimal places) or a usage, not both")]
    CaptureInvalid,
    #[error("This hold was already captured")]
    HoldAlreadyCaptured,
    #[error("This hold was already voided")]
    HoldAlreadyVoided,
    #[error("This hold has expired; nothing was charged.")]
    HoldExpired,
    #[error("The model's provider could not be reached; nothing was charged.")]
    ProviderUnreachable,
    /// More work is waiting than the server takes on at once (password checks, a wallet's queue of paid
    /// calls): refused at once rather than queued without bound.
    #[error("Busy, retry shortly")]
    Busy,
    /// A failure on our side. Its cause is kept for the log (never sent or shown: it isn't serialized, so
    /// the wire form is just `"internal"`), and logged once with its chain (see [`Cause`]).
    #[error("Something went wrong on our side. Please try again.")]
    Internal(
        #[serde(skip)]
        #[source]
        Cause,
    ),
    /// The request never reached our code, or its answer could not be read (network, encoding).
    /// The detail is for the browser console only and is never shown.
    #[error("We couldn't reach Tollgate. Check your connection and try again.")]
    #[strum(disabled)]
    Transport(String),
}

impl AppError {
    /// Stable machine code, e.g. `invalid_credentials`. Used in `/v1` error bodies and in the `?error=`
    /// query of a page reached by a plain form post (JavaScript off). Derived from the variant's name
    /// (the same snake_case name serde writes), so a new variant has its code without a line here.
    pub fn code(&self) -> &'static str {
        self.into()
    }

    /// The message a person sees.
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// HTTP status for the JSON API.
    pub fn http_status(&self) -> u16 {
        match self {
            AppError::InvalidCredentials | AppError::NotSignedIn => 401,
            AppError::CrossSiteRequest | AppError::WrongCurrentPassword => 403,
            AppError::NotFound => 404,
            AppError::InsufficientBalance | AppError::WalletNegative => 402,
            AppError::EmailTaken => 409,
            AppError::InvalidEmail
            | AppError::PasswordTooShort
            | AppError::PasswordTooLong
            | AppError::AmountInvalid
            | AppError::AmountTooManyDecimals
            | AppError::AmountOutOfRange
            | AppError::GrantAmountInvalid
            | AppError::GrantExpiryInvalid
            | AppError::ReasonRequired
            | AppError::StaffNeedsLogin
            | AppError::GrantOverRoleLimit
            | AppError::AdjustmentInvalid
            | AppError::RefundAmountInvalid
            | AppError::CurrencyNotSupported
            | AppError::InvalidCardNumber
            | AppError::InvalidExpiry
            | AppError::InvalidCvc
            | AppError::InvalidPostalCode
            | AppError::CardUpdateEmpty
            | AppError::CardNotSaved
            | AppError::NewCardNeedsJavascript
            | AppError::CardSetupIncomplete => 400,
            AppError::KeyNameInvalid
            | AppError::SpendLimitInvalid
            | AppError::FundingLimitInvalid
            | AppError::RateLimitInvalid
            | AppError::ThresholdInvalid
            | AppError::UnknownService
            | AppError::InvalidUsage
            | AppError::InvalidRequestBody
            | AppError::InvalidQuery
            | AppError::DateRangeInvalid
            | AppError::TimezoneInvalid
            | AppError::LegalNameInvalid
            | AppError::BillingAddressTooLong
            | AppError::CountryUnknown
            | AppError::TaxIdInvalid
            | AppError::IdempotencyKeyRequired
            | AppError::ChatAppUnknown
            | AppError::ChatAppRedirectInvalid
            | AppError::ChatAppRequestInvalid
            | AppError::TeamNameInvalid
            | AppError::DeleteConfirmationInvalid
            | AppError::MemberUnknown
            | AppError::BudgetInvalid
            | AppError::RoleInvalid
            | AppError::AutoTopUpThresholdInvalid
            | AppError::AutoTopUpTargetInvalid
            | AppError::AutoTopUpLimitInvalid
            | AppError::AutoTopUpNeedsCard
            | AppError::WebhookUrlInvalid
            | AppError::WebhookUrlPrivate
            | AppError::WebhookEventsMissing => 400,
            AppError::UnknownSpendKey | AppError::SpendKeyPaused | AppError::SpendKeyRevoked => 401,
            AppError::KeyLimitReached | AppError::MemberBudgetReached => 402,
            AppError::ServiceNotAllowed
            | AppError::FundingNotAllowed
            | AppError::ConnectionMayNotFund
            | AppError::FundingLimitReached
            | AppError::MembersMayNotFund
            | AppError::NotPermitted => 403,
            AppError::InviteUnknown => 404,
            AppError::LastOwner
            | AppError::TeamHasBalance
            | AppError::TooManyTeams
            | AppError::AutoTopUpNeedsPerson
            | AppError::WebhookEndpointsFull
            | AppError::WebhookEndpointDisabled => 409,
            AppError::InviteUsed | AppError::InviteExpired | AppError::InviteRevoked => 410,
            AppError::PaidCreditTooLow | AppError::RefundExceedsRefundable | AppError::AlreadyDecided => 409,
            AppError::SecondPersonRequired => 403,
            AppError::IdempotencyKeyReused | AppError::IdempotencyInProgress => 409,
            AppError::CheckoutExpired
            | AppError::CheckoutUsed
            | AppError::TopUpExpired
            | AppError::HoldExpired => 410,
            AppError::CaptureExceedsHold | AppError::HoldAlreadyCaptured | AppError::HoldAlreadyVoided => 409,
            AppError::HoldAmountInvalid
            | AppError::HoldLifetimeInvalid
            | AppError::HoldHasNoModel
            | AppError::CaptureInvalid => 400,
            AppError::TooManyAttempts { .. }
            | AppError::TooManySignups
            | AppError::RateLimitExceeded
            | AppError::TooManyFailedAuthentications
            | AppError::CardTestingLocked
            | AppError::CardAttemptsFromNetwork
            | AppError::NewCardsPaused
            | AppError::TooManyConnectionAttempts
            | AppError::TooManyResends => 429,
            AppError::ProcessorUnavailable | AppError::Busy => 503,
            AppError::ProviderUnreachable => 502,
            AppError::Internal(_) | AppError::Transport(_) => 500,
        }
    }

    /// [`AppError::http_status`] as the server's status type (every status there is a valid one).
    pub fn status_code(&self) -> http::StatusCode {
        http::StatusCode::from_u16(self.http_status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The error a code names; unknown codes (a hand-edited URL) and `transport` name nothing.
    pub fn from_code(code: &str) -> Option<AppError> {
        code.parse().ok()
    }

    /// The one number an error's message carries beyond its code (a throttled login's wait), so a plain
    /// form post's `?error=<code>&wait=<n>` can say it again on the page.
    pub fn wait_minutes(&self) -> Option<u32> {
        match self {
            AppError::TooManyAttempts { minutes } => Some(*minutes),
            _ => None,
        }
    }

    /// [`AppError::from_code`] with the wait put back (`wait_minutes`).
    pub fn from_code_and_wait(code: &str, wait: Option<&str>) -> Option<AppError> {
        match AppError::from_code(code)? {
            AppError::TooManyAttempts { .. } => {
                let minutes = wait.and_then(|w| w.parse::<u32>().ok()).filter(|m| (1..=1440).contains(m));
                Some(AppError::TooManyAttempts { minutes: minutes.unwrap_or(15) })
            }
            other => Some(other),
        }
    }

    /// An internal error caused by `err`: `what` failed (logged with `err`'s chain, see [`Cause`]).
    pub fn internal(what: &'static str, err: impl std::error::Error + Send + Sync + 'static) -> AppError {
        AppError::Internal(Cause::new(what, Box::new(err)))
    }

    /// An internal error with no underlying error: something that can't happen did (`what` says what).
    pub fn bug(what: &'static str) -> AppError {
        AppError::Internal(Cause::new(what, "an invariant was broken".into()))
    }

    /// Every error a code can name (all but `Transport`), in declaration order.
    pub fn all() -> impl Iterator<Item = AppError> {
        <AppError as strum::IntoEnumIterator>::iter()
    }
}

impl From<crate::money::AmountError> for AppError {
    fn from(err: crate::money::AmountError) -> Self {
        use crate::money::AmountError;
        match err {
            AmountError::NotANumber => AppError::AmountInvalid,
            AmountError::TooManyDecimals => AppError::AmountTooManyDecimals,
            AmountError::OutOfRange => AppError::AmountOutOfRange,
            AmountError::CurrencyNotSupported => AppError::CurrencyNotSupported,
        }
    }
}

/// Server functions answer with `AppError` (the pages' crate turns this on; the money core doesn't need it).
#[cfg(feature = "leptos")]
impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr;
        match value {
            // The server could not read the call's arguments (a hand-made request: a field missing, an id
            // that isn't one): the caller's mistake, answered 400 with a code like any other.
            ServerFnErrorErr::Args(_) => AppError::InvalidRequestBody,
            other => AppError::Transport(other.to_string()),
        }
    }
}

#[cfg(feature = "sqlx")]
impl From<sqlx::Error> for AppError {
    /// Database failures reach the user only as `Internal`; the error is its cause, logged with its chain.
    fn from(err: sqlx::Error) -> Self {
        crate::pg_liveness::note_error(&err);
        AppError::internal("database error", err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_and_is_unique() {
        let mut seen = std::collections::HashSet::new();
        for err in AppError::all() {
            let wait = err.wait_minutes().map(|m| m.to_string());
            assert_eq!(AppError::from_code(err.code()).map(|e| e.code()), Some(err.code()));
            if wait.is_none() {
                assert_eq!(AppError::from_code_and_wait(err.code(), None), Some(err.clone()));
            }
            assert!(seen.insert(err.code()), "duplicate code {}", err.code());
        }
        assert_eq!(AppError::from_code("transport"), None);
        assert_eq!(AppError::from_code("<script>"), None);
    }

    #[test]
    fn the_wire_form_of_every_error_is_its_code_and_its_wait() {
        for err in AppError::all().filter(|e| e.wait_minutes().is_none()) {
            assert_eq!(serde_json::to_string(&err).unwrap(), format!("\"{}\"", err.code()));
        }
        let throttled = AppError::TooManyAttempts { minutes: 7 };
        let wire = serde_json::to_string(&throttled).unwrap();
        assert_eq!(wire, r#"{"too_many_attempts":{"minutes":7}}"#);
        assert_eq!(serde_json::from_str::<AppError>(&wire).unwrap(), throttled);
    }

    #[test]
    fn a_throttled_login_says_its_wait_again_from_the_query() {
        let err = AppError::from_code_and_wait("too_many_attempts", Some("12")).unwrap();
        assert_eq!(err.message(), "Too many attempts. Try again in 12 minutes.");
        // A hand-edited wait is not believed; the page still says something true in shape.
        for wait in [None, Some("0"), Some("-3"), Some("99999"), Some("x")] {
            let err = AppError::from_code_and_wait("too_many_attempts", wait).unwrap();
            assert_eq!(err.message(), "Too many attempts. Try again in 15 minutes.");
        }
    }

    #[test]
    fn amount_errors_keep_their_contract_messages() {
        use crate::money::AmountError;
        for err in [
            AmountError::NotANumber,
            AmountError::TooManyDecimals,
            AmountError::OutOfRange,
            AmountError::CurrencyNotSupported,
        ] {
            assert_eq!(AppError::from(err).message(), err.to_string());
        }
    }

    /// docs/CONTRACT.md "Errors and their codes" lists every error with its status and message, and nothing
    /// else: the contract a reader of the repository sees is the one the code keeps.
    #[test]
    fn every_error_is_in_the_contract() {
        let contract = include_str!("../../../docs/CONTRACT.md");
        let section = contract.split("## Errors and their codes").nth(1).expect("the section exists");
        let rows: Vec<&str> = section.lines().filter(|l| l.starts_with("| `")).collect();
        for err in AppError::all() {
            // A message that carries a number (the wait) is listed with `N` in its place.
            let message = err.message().replace(" 0 minutes", " N minutes");
            let row = format!("| `{}` | {} | {} |", err.code(), err.http_status(), message);
            assert!(rows.contains(&row.as_str()), "docs/CONTRACT.md lacks or differs from: {row}");
        }
        assert_eq!(
            rows.len(),
            AppError::all().count(),
            "docs/CONTRACT.md lists an error the code doesn't have"
        );
    }

    #[test]
    fn wrong_credentials_message_is_the_contracts() {
        assert_eq!(AppError::InvalidCredentials.message(), "Invalid email or password");
    }
}
