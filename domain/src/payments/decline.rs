//! Why a card was refused, as Tollgate tells it (docs/CONTRACT.md "Sandbox card processor"): a public
//! code, the message a person reads and, for our records only, the processor's real reason.

use serde::{Deserialize, Serialize};

/// The public decline codes. Lost and stolen cards are reported as `GenericDecline` (the real reason is
/// kept in [`Decline::reason`]). Stored as text (`decline_code`, `error_code`) and sent in JSON by these
/// names; an unknown name read back from storage is an error, never a success.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(type_name = "text", rename_all = "snake_case"))]
pub enum DeclineCode {
    GenericDecline,
    InsufficientFunds,
    ExpiredCard,
    IncorrectCvc,
    ProcessingError,
    IncorrectAddress,
    /// The bank wants the person to confirm the payment (3-D Secure) and no person was there to (an agent,
    /// the chat, auto top-up), or they left without answering. Only a processor that asks banks (Stripe).
    AuthenticationRequired,
}

impl DeclineCode {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The message a person sees.
    pub fn message(self) -> &'static str {
        match self {
            DeclineCode::GenericDecline => "Your card was declined. Contact your card issuer or use another card.",
            DeclineCode::InsufficientFunds => "Your card has insufficient funds. Use another card.",
            DeclineCode::ExpiredCard => "Your card has expired. Update the expiry date or use another card.",
            DeclineCode::IncorrectCvc => "The security code (CVC) is incorrect. Try again or use another card.",
            DeclineCode::ProcessingError => "A processing error occurred. Try again in a moment.",
            DeclineCode::IncorrectAddress => {
                "The billing address doesn't match your card. Update the billing postal code or use another card."
            }
            DeclineCode::AuthenticationRequired => {
                "Your bank wants to confirm this payment. Retry it on your wallet page to confirm it with your bank."
            }
        }
    }
}

/// A processor's refusal: the public code, and the real reason for our records only (e.g. `stolen_card`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decline {
    pub code: DeclineCode,
    pub reason: String,
}

impl Decline {
    /// A decline whose code the processor sent but Tollgate doesn't know: a decline all the same (the
    /// generic one), with the code it sent kept as the reason. Never a success.
    pub fn unrecognised(code: &str) -> Decline {
        Decline { code: DeclineCode::GenericDecline, reason: format!("unrecognised_decline_code:{code}") }
    }

    /// Lost and stolen cards are never saved (docs/CONTRACT.md "Sandbox card processor").
    pub fn is_lost_or_stolen(&self) -> bool {
        matches!(self.reason.as_str(), "lost_card" | "stolen_card")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_their_snake_case_names_and_unknown_ones_are_refused() {
        assert_eq!(DeclineCode::IncorrectCvc.as_str(), "incorrect_cvc");
        assert_eq!("insufficient_funds".parse(), Ok(DeclineCode::InsufficientFunds));
        assert!("card_velocity_exceeded".parse::<DeclineCode>().is_err());
        assert_eq!(serde_json::to_string(&DeclineCode::ExpiredCard).unwrap(), "\"expired_card\"");
    }

    #[test]
    fn an_unrecognised_code_is_a_generic_decline() {
        let d = Decline::unrecognised("card_velocity_exceeded");
        assert_eq!(d.code, DeclineCode::GenericDecline);
        assert!(!d.is_lost_or_stolen());
    }
}
