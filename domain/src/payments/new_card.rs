//! The new-card form (docs/CONTRACT.md "Add Funds flow") as posted and as parsed: "Card number", "Expiry",
//! "CVC", "Billing postal code", "Save this card", used alike by Add Funds on the wallet page and by the
//! hosted checkout page (their inputs are one component, `app/src/ui/new_card_fields.rs`). The values
//! travel only in the POST body of "Continue", which hands them to the processor at once
//! (docs/ARCHITECTURE.md "Add Funds without card data in URLs").

use super::card::{CardNumber, Cvc, Expiry, PostalCode};
use crate::error::AppError;
use serde::{Deserialize, Serialize};

/// The new-card inputs as posted (a server function takes it with `#[server(flatten)]`, so the fields keep
/// their plain names). Fields left out are empty: a form that chose a saved card still sends them blank.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCardForm {
    #[serde(default)]
    pub card_number: String,
    #[serde(default)]
    pub expiry: String,
    #[serde(default)]
    pub cvc: String,
    #[serde(default)]
    pub postal_code: String,
    /// The "Save this card" checkbox: present (`on`) when ticked.
    #[serde(default)]
    pub save_card: Option<String>,
}

impl NewCardForm {
    /// Each field checked by its own newtype, in the order a person reads them.
    pub fn parse(&self) -> Result<NewCard, AppError> {
        Ok(NewCard {
            number: CardNumber::parse(&self.card_number)?,
            expiry: Expiry::parse(&self.expiry)?,
            cvc: Cvc::parse(&self.cvc)?,
            postal_code: PostalCode::parse(&self.postal_code)?,
        })
    }

    pub fn save(&self) -> bool {
        self.save_card.is_some()
    }
}

/// What the processor needs to tokenize a new card. Dropped right after tokenizing: nothing else ever
/// holds a full number or a CVC.
#[derive(Debug)]
pub struct NewCard {
    pub number: CardNumber,
    pub expiry: Expiry,
    pub cvc: Cvc,
    pub postal_code: PostalCode,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_is_parsed_field_by_field_in_reading_order() {
        let good = NewCardForm {
            card_number: "4242 4242 4242 4242".into(),
            expiry: "12/30".into(),
            cvc: "123".into(),
            postal_code: "10001".into(),
            save_card: Some("on".into()),
        };
        let card = good.parse().unwrap();
        assert_eq!(card.number.last4(), "4242");
        assert!(good.save());
        let blank = NewCardForm::default();
        assert_eq!(blank.parse().unwrap_err(), AppError::InvalidCardNumber);
        assert!(!blank.save());
        let bad_expiry = NewCardForm { expiry: "13/30".into(), ..good.clone() };
        assert_eq!(bad_expiry.parse().unwrap_err(), AppError::InvalidExpiry);
    }
}
