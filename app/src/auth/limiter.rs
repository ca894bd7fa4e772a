//! Slows password guessing: an address with [`MAX_FAILURES`] failed logins within [`WINDOW`] is refused
//! (HTTP 429 with `Retry-After`) until the oldest of them is older than the window. Kept in memory: a
//! restart forgets it, which costs an attacker a restart they cannot cause.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: usize = 5;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Addresses remembered at most (a flood of addresses must not grow memory without bound).
const MAX_ADDRESSES: usize = 10_000;

#[derive(Default)]
pub struct Limiter {
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl Limiter {
    /// `Err(seconds)` while `address` must wait.
    pub fn check(&self, address: IpAddr, now: Instant) -> Result<(), u64> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let Some(list) = map.get_mut(&address) else {
            return Ok(());
        };
        while list
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            list.pop_front();
        }
        if list.len() >= MAX_FAILURES {
            let oldest = *list.front().expect("non-empty");
            let wait = WINDOW.saturating_sub(now.duration_since(oldest));
            return Err(wait.as_secs().max(1));
        }
        Ok(())
    }

    pub fn failed(&self, address: IpAddr, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_ADDRESSES && !map.contains_key(&address) {
            map.retain(|_, l| l.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        let list = map.entry(address).or_default();
        list.push_back(now);
        while list.len() > MAX_FAILURES {
            list.pop_front();
        }
    }

    pub fn succeeded(&self, address: IpAddr) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&address);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_an_address_out_for_the_window() {
        let l = Limiter::default();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let t0 = Instant::now();
        for i in 0..MAX_FAILURES {
            assert!(l.check(a, t0).is_ok(), "attempt {i}");
            l.failed(a, t0);
        }
        let wait = l.check(a, t0 + Duration::from_secs(60)).unwrap_err();
        assert_eq!(wait, WINDOW.as_secs() - 60);
        assert!(l.check(b, t0).is_ok(), "other addresses are not affected");
        assert!(l.check(a, t0 + WINDOW).is_ok(), "the window passed");
        l.succeeded(a);
        assert!(l.check(a, t0).is_ok());
    }
}
