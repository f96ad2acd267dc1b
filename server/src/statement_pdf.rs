//! A month's statement as a PDF (docs/CONTRACT.md "Statements"): drawn with krilla (the PDF writer under
//! Typst) in fonts embedded in the server (Libertinus Serif for words, DejaVu Sans Mono for amounts, from
//! `typst-assets`), so it looks the same on every machine and `pdftotext` reads it back. No browser renders
//! it. docs/ARCHITECTURE.md "Statements" says why krilla rather than the whole of Typst.
//!
//! The layout is a column of blocks on A4 pages: the heading, who it is made out to, the month's figures from
//! opening to closing balance, usage by service, and the month's deposits, refunds, credit, adjustments and
//! disputes one per line. A block that doesn't fit goes on the next page; long text wraps.

use krilla::color::luma;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::text::{Font, TextDirection};
use krilla::Document;
use std::sync::LazyLock;
use tollgate_domain::error::AppError;
use tollgate_domain::money::Usd;
use tollgate_domain::statements::{CsvLine, MonthStatement};

/// What a statement prints besides the month's figures.
pub struct StatementPdf<'a> {
    pub statement: &'a MonthStatement,
    /// Who it is made out to: the billing details' lines, or the account's name and owner.
    pub billed_to: Vec<String>,
    pub account_id: String,
    /// The account's timezone (`Europe/Berlin`), which every time on it is in.
    pub timezone: String,
    /// When it was made, in that timezone: "December 7, 2026 at 14:03".
    pub issued: String,
    /// The month's ledger entries other than paid calls, oldest first.
    pub money_moves: &'a [CsvLine],
}

const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
const BODY: f32 = 10.5;
const LINE: f32 = 15.0;

/// The embedded fonts, found by name in `typst-assets` once per process.
struct Fonts {
    serif: Face,
    serif_bold: Face,
    mono: Face,
    mono_bold: Face,
}

/// A font for krilla to draw with, and the same font parsed once to measure text with.
struct Face {
    font: Font,
    metrics: ttf_parser::Face<'static>,
}

static FONTS: LazyLock<Option<Fonts>> = LazyLock::new(|| {
    let find = |name: &str| -> Option<Face> {
        let (data, metrics) = typst_assets::fonts()
            .filter_map(|data| Some((data, ttf_parser::Face::parse(data, 0).ok()?)))
            .find(|(_, face)| full_name(face).as_deref() == Some(name))?;
        Some(Face { font: Font::new(data.into(), 0)?, metrics })
    };
    Some(Fonts {
        serif: find("Libertinus Serif Regular")?,
        serif_bold: find("Libertinus Serif Bold")?,
        mono: find("DejaVu Sans Mono")?,
        mono_bold: find("DejaVu Sans Mono Bold")?,
    })
});

/// A font's full name (name ID 4), as its name table spells it in Unicode.
fn full_name(face: &ttf_parser::Face<'_>) -> Option<String> {
    face.names()
        .into_iter()
        .filter(|n| n.name_id == ttf_parser::name_id::FULL_NAME && n.is_unicode())
        .find_map(|n| n.to_string())
}

/// How wide `text` is in `font` at `size` points (advances only: close enough to right-align and wrap).
fn width(font: &Face, text: &str, size: f32) -> f32 {
    let face = &font.metrics;
    let units: f32 = text
        .chars()
        .map(|c| {
            face.glyph_index(c).and_then(|g| face.glyph_hor_advance(g)).unwrap_or(face.units_per_em() / 2)
        })
        .map(f32::from)
        .sum();
    units / f32::from(face.units_per_em()) * size
}

/// `text` cut into lines at most `max` points wide, at spaces where it can (a word longer than a line is cut).
fn wrap(font: &Face, text: &str, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
        if width(font, &candidate, size) <= max {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        let mut rest = word.to_string();
        while width(font, &rest, size) > max {
            let mut cut = rest.len();
            while cut > 0 && (!rest.is_char_boundary(cut) || width(font, &rest[..cut], size) > max) {
                cut -= 1;
            }
            let cut = cut.max(rest.chars().next().map_or(1, char::len_utf8));
            lines.push(rest[..cut].to_string());
            rest = rest[cut..].to_string();
        }
        line = rest;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// One drawing instruction, placed on a page by [`layout`].
enum Mark {
    Text {
        x: f32,
        font: Which,
        size: f32,
        text: String,
    },
    /// Right-aligned at `right`.
    Amount {
        right: f32,
        bold: bool,
        text: String,
    },
    Rule,
}

#[derive(Clone, Copy)]
enum Which {
    Serif,
    SerifBold,
}

/// A block of lines kept together on one page; each line is its marks and its height.
type Block = Vec<(f32, Vec<Mark>)>;

fn text(x: f32, text: impl Into<String>) -> Mark {
    Mark::Text { x, font: Which::Serif, size: BODY, text: text.into() }
}

fn bold(x: f32, size: f32, text: impl Into<String>) -> Mark {
    Mark::Text { x, font: Which::SerifBold, size, text: text.into() }
}

fn amount(right: f32, bold: bool, usd: Usd) -> Mark {
    Mark::Amount { right, bold, text: usd.exact() }
}

/// The statement's blocks, top to bottom.
fn blocks(doc: &StatementPdf<'_>, fonts: &Fonts) -> Vec<Block> {
    let s = doc.statement;
    let right = PAGE_WIDTH - MARGIN;
    let text_width = right - MARGIN;
    let mut all = Vec::new();
    let title = if s.to_date { format!("{} (to date)", s.month.label()) } else { s.month.label() };
    all.push(vec![
        (26.0, vec![bold(MARGIN, 20.0, "Tollgate statement")]),
        (20.0, vec![bold(MARGIN, 13.0, title)]),
        (LINE, vec![text(MARGIN, format!("Account {}", doc.account_id))]),
        (LINE, vec![text(MARGIN, format!("Times in {}. Issued {}.", doc.timezone, doc.issued))]),
        (8.0, vec![]),
    ]);
    let mut to = vec![(LINE + 2.0, vec![bold(MARGIN, BODY, "Statement for")])];
    for line in &doc.billed_to {
        for part in wrap(&fonts.serif, line, BODY, text_width) {
            to.push((LINE, vec![text(MARGIN, part)]));
        }
    }
    to.push((10.0, vec![]));
    all.push(to);
    let mut figures = vec![
        (LINE + 2.0, vec![bold(MARGIN, BODY, "Summary")]),
        (6.0, vec![Mark::Rule]),
        (LINE, vec![text(MARGIN, "Opening balance"), amount(right, false, s.opening)]),
    ];
    for (label, value) in s.lines() {
        figures.push((LINE, vec![text(MARGIN + 12.0, label), amount(right, false, value)]));
    }
    let closing = if s.to_date { "Closing balance (to date)" } else { "Closing balance" };
    figures.push((6.0, vec![Mark::Rule]));
    figures.push((LINE, vec![bold(MARGIN, BODY, closing), amount(right, true, s.closing)]));
    figures.push((12.0, vec![]));
    all.push(figures);
    let mut usage = vec![(LINE + 2.0, vec![bold(MARGIN, BODY, "Usage by service")]), (6.0, vec![Mark::Rule])];
    if s.usage_by_service.is_empty() {
        usage.push((LINE, vec![text(MARGIN, "No paid calls this month.")]));
    }
    for service in &s.usage_by_service {
        let calls =
            if service.calls == 1 { "1 call".to_string() } else { format!("{} calls", service.calls) };
        usage.push((
            LINE,
            vec![
                text(MARGIN, service.service.clone()),
                text(MARGIN + 250.0, calls),
                amount(right, false, service.spent),
            ],
        ));
    }
    usage.push((12.0, vec![]));
    all.push(usage);
    all.push(vec![
        (LINE + 2.0, vec![bold(MARGIN, BODY, "Deposits, refunds, credit, adjustments and disputes")]),
        (6.0, vec![Mark::Rule]),
    ]);
    if doc.money_moves.is_empty() {
        all.push(vec![(LINE, vec![text(MARGIN, "None this month.")])]);
    }
    let description_width = right - 110.0 - (MARGIN + 100.0) - 10.0;
    for line in doc.money_moves {
        let parts = wrap(&fonts.serif, &line.description, BODY, description_width);
        let mut block: Block = Vec::new();
        for (i, part) in parts.into_iter().enumerate() {
            let mut marks = vec![text(MARGIN + 100.0, part)];
            if i == 0 {
                marks.push(text(MARGIN, line.date.get(..10).unwrap_or(&line.date).to_string()));
                marks.push(amount(right, false, Usd::new(line.amount.unwrap_or_default())));
            }
            block.push((LINE, marks));
        }
        all.push(block);
    }
    all.push(vec![
        (18.0, vec![]),
        (
            LINE,
            vec![text(
                MARGIN,
                "Paid credit never expires. Promotional credit is spent first and expires on its date.",
            )],
        ),
        (LINE, vec![text(MARGIN, "Each month's closing balance is the next month's opening balance.")]),
    ]);
    all
}

/// Renders the statement. Fails only if the embedded fonts can't be read (a broken build).
pub fn render(doc: &StatementPdf<'_>) -> Result<Vec<u8>, AppError> {
    let fonts = FONTS.as_ref().ok_or_else(|| AppError::bug("the statement fonts are missing"))?;
    let mut pages: Vec<Vec<(f32, Vec<Mark>)>> = vec![Vec::new()];
    let mut y = MARGIN;
    let bottom = PAGE_HEIGHT - MARGIN - LINE;
    for block in blocks(doc, fonts) {
        let height: f32 = block.iter().map(|(h, _)| h).sum();
        if y + height > bottom && y > MARGIN {
            pages.push(Vec::new());
            y = MARGIN;
        }
        for (h, marks) in block {
            y += h;
            pages.last_mut().expect("there is always a page").push((y, marks));
        }
    }
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(format!("Tollgate statement, {}", doc.statement.month.label()))
            .creator("Tollgate".to_string())
            .language("en".to_string()),
    );
    let count = pages.len();
    for (number, lines) in pages.into_iter().enumerate() {
        let settings =
            PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).ok_or_else(|| AppError::bug("page size"))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for (y, marks) in lines {
            for mark in marks {
                match mark {
                    Mark::Text { x, font, size, text } => {
                        let font = match font {
                            Which::Serif => &fonts.serif,
                            Which::SerifBold => &fonts.serif_bold,
                        };
                        surface.draw_text(
                            Point::from_xy(x, y),
                            font.font.clone(),
                            size,
                            &text,
                            false,
                            TextDirection::Auto,
                        );
                    }
                    Mark::Amount { right, bold, text } => {
                        let font = if bold { &fonts.mono_bold } else { &fonts.mono };
                        let x = right - width(font, &text, BODY - 1.0);
                        let point = Point::from_xy(x, y);
                        surface.draw_text(
                            point,
                            font.font.clone(),
                            BODY - 1.0,
                            &text,
                            false,
                            TextDirection::Auto,
                        );
                    }
                    Mark::Rule => {
                        let mut path = PathBuilder::new();
                        path.move_to(MARGIN, y - 2.0);
                        path.line_to(PAGE_WIDTH - MARGIN, y - 2.0);
                        if let Some(path) = path.finish() {
                            surface.set_fill(None);
                            surface.set_stroke(Some(Stroke {
                                width: 0.5,
                                paint: luma::Color::new(120).into(),
                                ..Stroke::default()
                            }));
                            surface.draw_path(&path);
                            surface.set_stroke(None);
                            surface.set_fill(Some(Default::default()));
                        }
                    }
                }
            }
        }
        let footer = format!("Page {} of {count}", number + 1);
        let x = PAGE_WIDTH - MARGIN - width(&fonts.serif, &footer, 9.0);
        surface.draw_text(
            Point::from_xy(x, PAGE_HEIGHT - MARGIN / 2.0),
            fonts.serif.font.clone(),
            9.0,
            &footer,
            false,
            TextDirection::Auto,
        );
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|err| {
        tracing::error!(error = ?err, "the statement PDF could not be written");
        AppError::bug("the statement PDF could not be written")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_fonts_are_found() {
        assert!(FONTS.is_some());
    }

    #[test]
    fn a_statement_renders_on_as_many_pages_as_it_needs() {
        use tollgate_domain::statements::{months, Month};
        let month = Month::parse("2026-12").unwrap();
        let statement = months(month, month, &[], &[]).remove(0);
        let moves: Vec<CsvLine> = (0..120)
            .map(|i| CsvLine {
                date: "2026-12-07 14:03:05".into(),
                kind: "deposit",
                description: format!("Deposit, receipt TG-{i:06}"),
                amount: Some(rust_decimal::Decimal::new(2500, 2)),
                balance_after: rust_decimal::Decimal::ZERO,
            })
            .collect();
        let pdf = render(&StatementPdf {
            statement: &statement,
            billed_to: vec!["株式会社 Example".into(), "Straße 1".into()],
            account_id: "0".into(),
            timezone: "UTC".into(),
            issued: "December 7, 2026 at 14:03".into(),
            money_moves: &moves,
        })
        .unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }

    #[test]
    fn long_text_wraps_within_its_width() {
        let fonts = FONTS.as_ref().unwrap();
        let lines = wrap(&fonts.serif, &format!("Adjustment: {}", "word ".repeat(80)), BODY, 200.0);
        assert!(lines.len() > 3);
        assert!(lines.iter().all(|l| width(&fonts.serif, l, BODY) <= 200.0));
        let long_word = wrap(&fonts.serif, &"x".repeat(300), BODY, 100.0);
        assert!(long_word.iter().all(|l| width(&fonts.serif, l, BODY) <= 100.0 && !l.is_empty()));
        assert_eq!(wrap(&fonts.serif, "", BODY, 100.0), vec![String::new()]);
    }
}
