//! Stripe's refusals in Tollgate's words: its decline codes map to the reasons and messages the sandbox
//! shows (docs/CONTRACT.md "Card processors"); a code Tollgate doesn't know is a generic decline, never a
//! success.

use super::api::ErrorBody;
use tollgate_domain::payments::decline::{Decline, DeclineCode};

/// What a refused charge means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    Declined(Decline),
    /// The bank wants the person to confirm the payment (3-D Secure), and no person is there.
    AuthenticationRequired,
}

/// The refusal an `error` object (or a PaymentIntent's `last_payment_error`) says.
pub fn refusal_of(error: &ErrorBody) -> Refusal {
    let code = error.code.as_deref().unwrap_or("");
    // A card error's reason is its `decline_code` when it has one (`card_declined` says only "declined").
    let reason = match (code, error.decline_code.as_deref()) {
        ("card_declined", Some(decline_code)) => decline_code,
        _ => code,
    };
    if reason == "authentication_required" || code == "authentication_required" {
        return Refusal::AuthenticationRequired;
    }
    let public = match reason {
        "generic_decline" | "card_declined" | "do_not_honor" | "lost_card" | "stolen_card" => {
            DeclineCode::GenericDecline
        }
        "insufficient_funds" => DeclineCode::InsufficientFunds,
        "expired_card" => DeclineCode::ExpiredCard,
        "incorrect_cvc" | "invalid_cvc" => DeclineCode::IncorrectCvc,
        "incorrect_zip" => DeclineCode::IncorrectAddress,
        "processing_error" => DeclineCode::ProcessingError,
        // The person was asked to confirm with their bank and didn't, or their bank said no.
        "payment_intent_authentication_failure" => {
            return Refusal::Declined(Decline {
                code: DeclineCode::GenericDecline,
                reason: "authentication_failed".into(),
            })
        }
        "" => return Refusal::Declined(Decline::unrecognised("none")),
        other => return Refusal::Declined(Decline::unrecognised(other)),
    };
    Refusal::Declined(Decline { code: public, reason: reason.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card_error(code: &str, decline_code: Option<&str>) -> ErrorBody {
        ErrorBody {
            kind: Some("card_error".into()),
            code: Some(code.into()),
            decline_code: decline_code.map(str::to_string),
            ..ErrorBody::default()
        }
    }

    fn declined(code: &str, decline_code: Option<&str>) -> Decline {
        match refusal_of(&card_error(code, decline_code)) {
            Refusal::Declined(decline) => decline,
            other => panic!("{code}/{decline_code:?}: {other:?}"),
        }
    }

    #[test]
    fn stripes_decline_codes_are_the_sandboxs_reasons() {
        let cases = [
            ("card_declined", Some("generic_decline"), DeclineCode::GenericDecline),
            ("card_declined", Some("insufficient_funds"), DeclineCode::InsufficientFunds),
            ("expired_card", None, DeclineCode::ExpiredCard),
            ("incorrect_cvc", None, DeclineCode::IncorrectCvc),
            ("incorrect_zip", None, DeclineCode::IncorrectAddress),
            ("processing_error", None, DeclineCode::ProcessingError),
            ("card_declined", None, DeclineCode::GenericDecline),
        ];
        for (code, decline_code, public) in cases {
            assert_eq!(declined(code, decline_code).code, public, "{code}/{decline_code:?}");
        }
    }

    #[test]
    fn lost_and_stolen_cards_are_generic_to_the_person_and_known_to_us() {
        for reason in ["lost_card", "stolen_card"] {
            let decline = declined("card_declined", Some(reason));
            assert_eq!(decline.code, DeclineCode::GenericDecline);
            assert!(decline.is_lost_or_stolen(), "{reason}");
        }
    }

    #[test]
    fn authentication_required_is_its_own_outcome() {
        assert_eq!(refusal_of(&card_error("authentication_required", None)), Refusal::AuthenticationRequired);
        assert_eq!(
            refusal_of(&card_error("card_declined", Some("authentication_required"))),
            Refusal::AuthenticationRequired
        );
    }

    #[test]
    fn an_unknown_code_or_none_is_a_generic_decline_never_a_success() {
        let decline = declined("card_declined", Some("card_velocity_exceeded"));
        assert_eq!(decline.code, DeclineCode::GenericDecline);
        assert_eq!(decline.reason, "unrecognised_decline_code:card_velocity_exceeded");
        assert_eq!(refusal_of(&ErrorBody::default()), Refusal::Declined(Decline::unrecognised("none")));
    }
}
