//! Monthly statements (docs/CONTRACT.md "Statements"): what each month of an account's ledger added up to,
//! from its opening balance to its closing one. A month is a calendar month in the account's timezone.
//!
//! Every figure comes from the ledger's entries, grouped by month and kind; a month's opening balance is the
//! sum of every entry before it. So a month's closing balance is the next month's opening balance by
//! construction, and the current month's closing balance is the wallet's balance (which is the sum of the
//! ledger).

use crate::ledger::EntryKind;
use crate::money::Usd;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A calendar month: `2026-12` in addresses and files, "December 2026" on pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Month {
    year: i32,
    /// 1 to 12.
    month: u32,
}

impl Month {
    /// `2026-12` (what `/dashboard/statements/2026-12.pdf` names); anything else is `None`.
    pub fn parse(raw: &str) -> Option<Month> {
        let (year, month) = raw.split_once('-')?;
        if year.len() != 4
            || month.len() != 2
            || !(year.bytes().chain(month.bytes())).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let (year, month) = (year.parse().ok()?, month.parse().ok()?);
        NaiveDate::from_ymd_opt(year, month, 1).map(|_| Month { year, month })
    }

    /// The month a local date falls in.
    pub fn of(date: NaiveDate) -> Month {
        Month { year: date.year(), month: date.month() }
    }

    /// Its first day.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a Month is always a real month")
    }

    /// The month after it.
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month { year: self.year + 1, month: 1 }
        } else {
            Month { year: self.year, month: self.month + 1 }
        }
    }

    /// "December 2026".
    pub fn label(self) -> String {
        self.first_day().format("%B %Y").to_string()
    }
}

impl fmt::Display for Month {
    /// `2026-12`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// What the entries of one kind added up to in one month (signed, as the ledger has them).
#[derive(Clone, Debug, PartialEq)]
pub struct KindTotal {
    pub month: Month,
    pub kind: EntryKind,
    pub total: Decimal,
}

/// One service's paid calls in one month: how many, and what they cost (a positive amount).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceUsage {
    /// The service's name ("OpenAI").
    pub service: String,
    pub calls: i64,
    pub spent: Usd,
}

/// One month of an account: every figure signed as it moved the balance (a deposit adds, usage takes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MonthStatement {
    pub month: Month,
    /// The current month: its closing balance is the balance now.
    pub to_date: bool,
    pub opening: Usd,
    pub deposits: Usd,
    /// Refunds to a card, net of those the bank refused (which put the money back).
    pub refunds: Usd,
    pub promotional_granted: Usd,
    pub promotional_expired: Usd,
    pub adjustments: Usd,
    /// Opened disputes' withdrawals.
    pub disputes: Usd,
    /// Won disputes' returns.
    pub disputes_won: Usd,
    /// Paid calls, all services together.
    pub usage: Usd,
    /// The same by service, most spent first (their `spent` adds up to `-usage`).
    pub usage_by_service: Vec<ServiceUsage>,
    pub closing: Usd,
}

/// The statements page: every month, newest first, and the timezone they are in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatementsView {
    /// `Europe/Berlin`.
    pub timezone: String,
    pub months: Vec<MonthStatement>,
}

impl MonthStatement {
    /// Where its files are: `/dashboard/statements/2026-12.pdf` (`ext`: `pdf` or `csv`).
    pub fn file_path(&self, ext: &str) -> String {
        format!("/dashboard/statements/{}.{ext}", self.month)
    }

    /// The month's lines as a statement prints them, in this order: (label, signed amount). Lines that didn't
    /// move are left out, except deposits and usage, which every statement shows.
    pub fn lines(&self) -> Vec<(&'static str, Usd)> {
        [
            ("Deposits", self.deposits, true),
            ("Refunds", self.refunds, false),
            ("Promotional credit granted", self.promotional_granted, false),
            ("Promotional credit expired", self.promotional_expired, false),
            ("Adjustments", self.adjustments, false),
            ("Disputes", self.disputes, false),
            ("Disputes won", self.disputes_won, false),
            ("Usage", self.usage, true),
        ]
        .into_iter()
        .filter(|(_, amount, always)| *always || !amount.amount().is_zero())
        .map(|(label, amount, _)| (label, amount))
        .collect()
    }
}

/// Every month from `first` (the month the account opened) to `current` (today's), oldest first, from the
/// ledger's totals by month and kind and the paid calls by month and service. Totals from before `first`
/// (none, for an account's own ledger) count into the first opening balance.
pub fn months(
    first: Month,
    current: Month,
    totals: &[KindTotal],
    usage: &[(Month, ServiceUsage)],
) -> Vec<MonthStatement> {
    let first = first.min(current);
    let mut opening: Decimal = totals.iter().filter(|t| t.month < first).map(|t| t.total).sum();
    let mut statements = Vec::new();
    let mut month = first;
    while month <= current {
        let of_month: Vec<KindTotal> = totals.iter().filter(|t| t.month == month).cloned().collect();
        let services = usage.iter().filter(|(m, _)| *m == month).map(|(_, s)| s.clone()).collect();
        let statement = month_statement(month, month == current, opening, &of_month, services);
        opening = statement.closing.amount();
        statements.push(statement);
        month = month.next();
    }
    statements
}

/// One month from its opening balance, its entries' totals by kind (`totals`' months are not looked at)
/// and its paid calls by service.
pub fn month_statement(
    month: Month,
    to_date: bool,
    opening: Decimal,
    totals: &[KindTotal],
    mut usage_by_service: Vec<ServiceUsage>,
) -> MonthStatement {
    let of = |kind: EntryKind| -> Usd {
        Usd::new(totals.iter().filter(|t| t.kind == kind).map(|t| t.total).sum())
    };
    let moved: Decimal = totals.iter().map(|t| t.total).sum();
    usage_by_service.sort_by(|a, b| b.spent.cmp(&a.spent).then_with(|| a.service.cmp(&b.service)));
    MonthStatement {
        month,
        to_date,
        opening: Usd::new(opening),
        deposits: of(EntryKind::Deposit),
        refunds: of(EntryKind::Refund),
        promotional_granted: of(EntryKind::PromotionalGrant),
        promotional_expired: of(EntryKind::PromotionalExpiry),
        adjustments: of(EntryKind::Adjustment),
        disputes: of(EntryKind::Dispute),
        disputes_won: of(EntryKind::DisputeWon),
        usage: of(EntryKind::Usage),
        usage_by_service,
        closing: Usd::new(opening + moved),
    }
}

/// One line of a statement's CSV (docs/CONTRACT.md "Statements"):
/// `date,kind,description,amount,balance_after`. The first line of a month is its `opening`, the last its
/// `closing`; between them one line per ledger entry, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct CsvLine {
    /// The local time in the account's timezone, `2026-12-07 14:03:05`.
    pub date: String,
    /// `opening`, `closing`, or the entry's kind (`deposit`, `usage`, `refund`, …).
    pub kind: &'static str,
    pub description: String,
    /// Empty for the opening and closing lines.
    pub amount: Option<Decimal>,
    pub balance_after: Decimal,
}

/// The kind of a ledger entry as a statement's CSV names it.
pub fn csv_kind(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Deposit => "deposit",
        EntryKind::Usage => "usage",
        EntryKind::Refund => "refund",
        EntryKind::Adjustment => "adjustment",
        EntryKind::PromotionalGrant => "promotional_credit",
        EntryKind::PromotionalExpiry => "promotional_expired",
        EntryKind::Dispute => "dispute",
        EntryKind::DisputeWon => "dispute_won",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dec(raw: &str) -> Decimal {
        raw.parse().unwrap()
    }

    fn month(raw: &str) -> Month {
        Month::parse(raw).unwrap()
    }

    #[test]
    fn months_parse_only_as_yyyy_mm() {
        assert_eq!(month("2026-12").to_string(), "2026-12");
        assert_eq!(month("2026-12").label(), "December 2026");
        assert_eq!(month("2026-12").next(), month("2027-01"));
        for bad in
            ["2026-13", "2026-00", "2026-1", "26-12", "2026/12", "2026-12-01", "", "２０２６-12", "-202-12"]
        {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_month_without_entries_carries_its_balance() {
        let totals = [
            KindTotal { month: month("2026-10"), kind: EntryKind::Deposit, total: dec("50") },
            KindTotal { month: month("2026-10"), kind: EntryKind::Usage, total: dec("-0.00045") },
            KindTotal { month: month("2026-12"), kind: EntryKind::Refund, total: dec("-10") },
        ];
        let usage = [(
            month("2026-10"),
            ServiceUsage { service: "OpenAI".into(), calls: 1, spent: Usd::new(dec("0.00045")) },
        )];
        let all = months(month("2026-10"), month("2026-12"), &totals, &usage);
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].closing.amount(), dec("49.99955"));
        assert_eq!(all[1].opening, all[1].closing);
        assert_eq!(all[2].closing.amount(), dec("39.99955"));
        assert!(all[2].to_date && !all[1].to_date);
        assert_eq!(all[0].usage_by_service.len(), 1);
        assert_eq!(all[1].lines(), vec![("Deposits", Usd::ZERO), ("Usage", Usd::ZERO)]);
    }

    fn kinds() -> impl Strategy<Value = EntryKind> {
        prop_oneof![
            Just(EntryKind::Deposit),
            Just(EntryKind::Usage),
            Just(EntryKind::Refund),
            Just(EntryKind::Adjustment),
            Just(EntryKind::PromotionalGrant),
            Just(EntryKind::PromotionalExpiry),
            Just(EntryKind::Dispute),
            Just(EntryKind::DisputeWon),
        ]
    }

    proptest! {
        /// For any ledger: each month's closing balance is the next month's opening balance, each month's
        /// lines add up from its opening to its closing, and the last closing is the sum of everything.
        #[test]
        fn each_closing_is_the_next_opening(
            entries in proptest::collection::vec((0u32..30, kinds(), -1_000_000_000i64..1_000_000_000), 0..60),
        ) {
            let first = month("2025-11");
            let at = |offset: u32| (0..offset).fold(first, |m, _| m.next());
            let totals: Vec<KindTotal> = entries
                .iter()
                .map(|&(offset, kind, micros)| KindTotal { month: at(offset), kind, total: Decimal::new(micros, 8) })
                .collect();
            let current = at(30);
            let all = months(first, current, &totals, &[]);
            prop_assert_eq!(all.len(), 31);
            for pair in all.windows(2) {
                prop_assert_eq!(pair[0].closing, pair[1].opening);
            }
            for statement in &all {
                let lines: Decimal = statement.lines().iter().map(|(_, amount)| amount.amount()).sum();
                prop_assert_eq!(statement.opening.amount() + lines, statement.closing.amount());
            }
            let everything: Decimal = totals.iter().map(|t| t.total).sum();
            prop_assert_eq!(all.last().unwrap().closing.amount(), everything);
            prop_assert_eq!(all[0].opening, Usd::ZERO);
        }
    }
}
