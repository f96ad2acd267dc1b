//! Settings → "Billing details" (docs/CONTRACT.md "Statements"): who an account's receipts and statements
//! are made out to — a legal name, an address, a country and optionally a tax ID — as parsed from the form.

use super::countries::COUNTRIES;
use crate::error::AppError;
use serde::{Deserialize, Serialize};

/// The tax IDs the form offers: (stored type, name shown). The value's format is the tax office's; Tollgate
/// prints it as given.
pub const TAX_ID_TYPES: [(&str, &str); 16] = [
    ("eu_vat", "EU VAT number"),
    ("gb_vat", "UK VAT number"),
    ("ch_vat", "Swiss VAT number"),
    ("no_vat", "Norwegian VAT number"),
    ("us_ein", "US EIN"),
    ("ca_bn", "Canadian BN"),
    ("au_abn", "Australian ABN"),
    ("nz_gst", "New Zealand GST number"),
    ("in_gst", "Indian GSTIN"),
    ("jp_cn", "Japanese corporate number"),
    ("kr_brn", "Korean BRN"),
    ("sg_uen", "Singapore UEN"),
    ("br_cnpj", "Brazilian CNPJ"),
    ("mx_rfc", "Mexican RFC"),
    ("za_vat", "South African VAT number"),
    ("ae_trn", "UAE TRN"),
];

const MOST_NAME_CHARS: usize = 200;
const MOST_ADDRESS_CHARS: usize = 500;

/// An account's billing details, each field checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingDetails {
    pub legal_name: String,
    /// Lines as typed (street, city, postcode…), possibly empty.
    pub address: String,
    /// ISO 3166-1 alpha-2 (`DE`).
    pub country: String,
    pub tax_id: Option<TaxId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxId {
    /// One of [`TAX_ID_TYPES`]' stored types (`eu_vat`).
    pub kind: String,
    pub value: String,
}

impl BillingDetails {
    /// The form's fields, trimmed and checked; the first wrong field's error. A tax ID is all or nothing: an
    /// empty number with no type is none; a type without a number, or a number without a type, is wrong.
    pub fn parse(
        legal_name: &str,
        address: &str,
        country: &str,
        tax_id_type: &str,
        tax_id_value: &str,
    ) -> Result<BillingDetails, AppError> {
        let legal_name = legal_name.trim();
        if legal_name.is_empty() || legal_name.chars().count() > MOST_NAME_CHARS || has_control(legal_name) {
            return Err(AppError::LegalNameInvalid);
        }
        let address = normalize_lines(address);
        if address.chars().count() > MOST_ADDRESS_CHARS || has_control(&address.replace('\n', "")) {
            return Err(AppError::BillingAddressTooLong);
        }
        let country = country.trim().to_ascii_uppercase();
        if !COUNTRIES.iter().any(|(code, _)| *code == country) {
            return Err(AppError::CountryUnknown);
        }
        let (kind, value) = (tax_id_type.trim(), tax_id_value.trim());
        let tax_id = match (kind.is_empty(), value.is_empty()) {
            (true, true) => None,
            (false, false) if TAX_ID_TYPES.iter().any(|(k, _)| *k == kind) && valid_tax_number(value) => {
                Some(TaxId { kind: kind.to_string(), value: value.to_string() })
            }
            _ => return Err(AppError::TaxIdInvalid),
        };
        Ok(BillingDetails { legal_name: legal_name.to_string(), address, country, tax_id })
    }

    /// The country's name ("Germany").
    pub fn country_name(&self) -> &'static str {
        country_name(&self.country).unwrap_or("")
    }

    /// The lines a receipt or statement prints: the name, the address's lines, the country, the tax ID.
    pub fn printed_lines(&self) -> Vec<String> {
        let mut lines = vec![self.legal_name.clone()];
        lines.extend(self.address.lines().map(str::to_string));
        lines.push(self.country_name().to_string());
        if let Some(tax) = &self.tax_id {
            lines.push(format!("{}: {}", tax_id_name(&tax.kind).unwrap_or("Tax ID"), tax.value));
        }
        lines
    }
}

/// A country's name by its code.
pub fn country_name(code: &str) -> Option<&'static str> {
    COUNTRIES.iter().find(|(c, _)| *c == code).map(|(_, name)| *name)
}

/// A tax ID type's name by its stored type.
pub fn tax_id_name(kind: &str) -> Option<&'static str> {
    TAX_ID_TYPES.iter().find(|(k, _)| *k == kind).map(|(_, name)| *name)
}

/// 2 to 40 letters, digits, spaces, dots, dashes or slashes.
fn valid_tax_number(value: &str) -> bool {
    (2..=40).contains(&value.chars().count())
        && value.chars().all(|c| c.is_alphanumeric() || matches!(c, ' ' | '.' | '-' | '/'))
}

fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// The address's lines trimmed (a tab is a space), empty ones dropped, joined by `\n` (whatever line breaks
/// the form sent).
fn normalize_lines(address: &str) -> String {
    address
        .replace('\t', " ")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_are_trimmed_and_checked() {
        let details = BillingDetails::parse(
            "  Müller & Söhne GmbH ",
            "Hauptstraße 1\r\n\r\n10115\tBerlin ",
            "de",
            "eu_vat",
            " DE123456789 ",
        )
        .unwrap();
        assert_eq!(details.address, "Hauptstraße 1\n10115 Berlin");
        assert_eq!(details.country, "DE");
        assert_eq!(
            details.printed_lines(),
            ["Müller & Söhne GmbH", "Hauptstraße 1", "10115 Berlin", "Germany", "EU VAT number: DE123456789"]
        );
        assert_eq!(BillingDetails::parse("株式会社テスト", "", "JP", "", "").unwrap().tax_id, None);
    }

    #[test]
    fn each_wrong_field_has_its_error() {
        let parse = |name: &str, address: &str, country: &str, kind: &str, value: &str| {
            BillingDetails::parse(name, address, country, kind, value).unwrap_err()
        };
        assert_eq!(parse("  ", "", "US", "", ""), AppError::LegalNameInvalid);
        assert_eq!(parse(&"n".repeat(201), "", "US", "", ""), AppError::LegalNameInvalid);
        assert_eq!(parse("Ann\u{0}", "", "US", "", ""), AppError::LegalNameInvalid);
        assert_eq!(parse("Ann", &"a".repeat(501), "US", "", ""), AppError::BillingAddressTooLong);
        assert_eq!(parse("Ann", "", "XX", "", ""), AppError::CountryUnknown);
        assert_eq!(parse("Ann", "", "", "", ""), AppError::CountryUnknown);
        assert_eq!(parse("Ann", "", "US", "us_ein", ""), AppError::TaxIdInvalid);
        assert_eq!(parse("Ann", "", "US", "", "12-3456789"), AppError::TaxIdInvalid);
        assert_eq!(parse("Ann", "", "US", "xx_tax", "12-3456789"), AppError::TaxIdInvalid);
        assert_eq!(parse("Ann", "", "US", "us_ein", "12;3456789"), AppError::TaxIdInvalid);
        assert_eq!(parse("Ann", "", "US", "us_ein", &"1".repeat(41)), AppError::TaxIdInvalid);
    }

    #[test]
    fn every_country_and_tax_type_is_once() {
        let mut codes: Vec<_> = COUNTRIES.iter().map(|(c, _)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), COUNTRIES.len());
        assert!(TAX_ID_TYPES.iter().all(|(k, _)| k.len() <= 8 && k.contains('_')));
    }
}
