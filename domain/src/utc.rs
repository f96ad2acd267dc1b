//! How an instant is written on a page: always UTC and saying so ("Nov 27, 2026 14:05 UTC"), so the server's
//! render and the browser's hydration agree and nobody guesses the timezone.

use chrono::{DateTime, Utc};

pub fn shown_utc(at: DateTime<Utc>) -> String {
    at.format("%b %-d, %Y %H:%M UTC").to_string()
}
