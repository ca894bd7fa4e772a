//! Relative times ("2 minutes ago") from two UTC timestamps, the same text on server and browser.

use chrono::NaiveDateTime;

fn parse(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S"))
        .ok()
}

/// `then` relative to `now`, e.g. "just now", "5 minutes ago", "3 days ago".
pub fn relative(now: &str, then: &str) -> String {
    let (Some(now), Some(then)) = (parse(now), parse(then)) else {
        return then.to_string();
    };
    let secs = (now - then).num_seconds().max(0);
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
        assert_eq!(every(300), "every 5 minutes");
        assert_eq!(every(3600), "every 1 hour");
        assert_eq!(every(90), "every 90 seconds");
    }
}
