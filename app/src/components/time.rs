//! Relative times ("2 minutes ago") from two UTC timestamps, the same text on server and browser.

/// Seconds since 1970 of a stored timestamp, `YYYY-MM-DD HH:MM:SS` with optional fraction (ignored).
/// Hand-written so the browser build carries no date library for this one format.
fn parse(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    if b.len() > 19 && (b[19] != b'.' || !b[20..].iter().all(u8::is_ascii_digit)) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from the civil date (proleptic Gregorian), Howard Hinnant's algorithm.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// `then` relative to `now`, e.g. "just now", "5 minutes ago", "3 days ago".
pub fn relative(now: &str, then: &str) -> String {
    let (Some(now), Some(then)) = (parse(now), parse(then)) else {
        return then.to_string();
    };
    let secs = (now - then).max(0);
    let ago = |n: i64, unit: &str| format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" });
    match secs {
        0..=44 => "just now".into(),
        45..=89 => "1 minute ago".into(),
        90..=2699 => ago((secs + 30) / 60, "minute"),
        2700..=5399 => "1 hour ago".into(),
        5400..=86_399 => ago((secs + 1800) / 3600, "hour"),
        _ => ago(secs / 86_400, "day"),
    }
}

/// "every 5 minutes", "every 90 seconds", "every 2 hours".
pub fn every(seconds: i64) -> String {
    let unit = |n: i64, u: &str| format!("every {n} {u}{}", if n == 1 { "" } else { "s" });
    if seconds % 3600 == 0 {
        unit(seconds / 3600, "hour")
    } else if seconds % 60 == 0 {
        unit(seconds / 60, "minute")
    } else {
        unit(seconds, "second")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times() {
        let now = "2026-11-27 12:00:00.000";
        for (then, text) in [
            ("2026-11-27 11:59:50.000", "just now"),
            ("2026-11-27 11:59:00", "1 minute ago"),
            ("2026-11-27 11:58:00.5", "2 minutes ago"),
            ("2026-11-27 11:00:00", "1 hour ago"),
            ("2026-11-27 07:00:00", "5 hours ago"),
            ("2026-11-24 12:00:00", "3 days ago"),
        ] {
            assert_eq!(relative(now, then), text, "{then}");
        }
        // Across a month, a leap day and a year.
        assert_eq!(
            relative("2024-03-01 00:00:00", "2024-02-28 00:00:00"),
            "2 days ago"
        );
        assert_eq!(
            relative("2027-01-01 00:00:10", "2026-12-31 23:59:59"),
            "just now"
        );
        assert_eq!(parse("1970-01-01 00:00:00"), Some(0));
        assert_eq!(parse("2026-11-27 12:00:00.123"), Some(1_795_780_800));
        for bad in [
            "2026-13-01 00:00:00",
            "yesterday",
            "2026-11-27T12:00:00",
            "2026-11-27 12:00:00.x",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
            assert_eq!(relative("2026-11-27 12:00:00", bad), bad, "shown as it is");
        }
        assert_eq!(every(300), "every 5 minutes");
        assert_eq!(every(3600), "every 1 hour");
        assert_eq!(every(90), "every 90 seconds");
    }
}
