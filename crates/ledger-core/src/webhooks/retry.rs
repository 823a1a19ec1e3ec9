//! When a failed delivery is tried again: exponential backoff with jitter,
//! for about a day, then never (the endpoint is disabled).
//!
//! The production schedule waits 5 s after the first failure and four times
//! longer after each next one, capped at 8 h: attempts at about 0 s, 5 s,
//! 25 s, 1.7 min, 7 min, 28 min, 1.9 h, 7.6 h, 15.6 h and 23.6 h after the
//! first. Each wait is drawn between three quarters and five quarters of
//! its nominal length, so endpoints that failed together do not all come
//! back at once. Tests shrink the whole schedule with a smaller base.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

/// The attempts a delivery gets, the first one included.
pub const MAX_ATTEMPTS: u32 = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetrySchedule {
    base: Duration,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(5),
        }
    }
}

impl RetrySchedule {
    /// The variable that shrinks the schedule for local runs and tests: the
    /// first wait in milliseconds (the rest scale with it).
    pub const BASE_VARIABLE: &'static str = "WEBHOOK_RETRY_BASE_MS";

    pub fn with_base(base: Duration) -> Self {
        Self { base }
    }

    /// The schedule [`Self::BASE_VARIABLE`] sets, or the production one.
    pub fn from_env() -> Self {
        std::env::var(Self::BASE_VARIABLE)
            .ok()
            .and_then(|ms| ms.parse().ok())
            .map_or_else(Self::default, |ms| {
                Self::with_base(Duration::from_millis(ms))
            })
    }

    /// The nominal wait after failed attempt `attempt` (1-based).
    fn nominal(&self, attempt: u32) -> Duration {
        let cap = self.base * 5_760; // 8 h at the production base
        let factor = 4u32.saturating_pow(attempt.saturating_sub(1));
        self.base.saturating_mul(factor).min(cap)
    }

    /// When attempt `attempt + 1` is due, given that attempt `attempt` failed
    /// at `now`; `None` once the delivery has had all its attempts.
    /// `jitter` is a uniform draw from `[0, 1)`.
    pub fn next_attempt(
        &self,
        attempt: u32,
        now: DateTime<Utc>,
        jitter: f64,
    ) -> Option<DateTime<Utc>> {
        if attempt >= MAX_ATTEMPTS {
            return None;
        }
        let wait = self
            .nominal(attempt)
            .mul_f64(0.75 + 0.5 * jitter.clamp(0.0, 1.0));
        Some(now + TimeDelta::from_std(wait).unwrap_or(TimeDelta::MAX))
    }

    /// How long a claimed attempt may take before another dispatcher may
    /// take it over (its dispatcher is presumed dead): twice the longest a
    /// delivery's request may last, so a live attempt is never taken over.
    pub fn lease(&self, request_timeout: Duration) -> TimeDelta {
        TimeDelta::from_std(request_timeout * 2).unwrap_or(TimeDelta::MAX)
    }
}

/// A uniform draw from `[0, 1)` for [`RetrySchedule::next_attempt`].
pub fn jitter() -> f64 {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_production_schedule_spans_about_a_day_in_ten_attempts() {
        let schedule = RetrySchedule::default();
        let start = DateTime::UNIX_EPOCH;
        let mut at = start;
        let mut waits = Vec::new();
        for attempt in 1..MAX_ATTEMPTS {
            let next = schedule
                .next_attempt(attempt, at, 0.5)
                .expect("another attempt");
            waits.push((next - at).num_seconds());
            at = next;
        }
        assert_eq!(
            waits,
            [5, 20, 80, 320, 1_280, 5_120, 20_480, 28_800, 28_800]
        );
        let hours = (at - start).num_minutes() as f64 / 60.0;
        assert!((23.0..25.0).contains(&hours), "{hours}");
        assert_eq!(schedule.next_attempt(MAX_ATTEMPTS, at, 0.5), None);
    }

    #[test]
    fn jitter_spreads_a_wait_between_three_and_five_quarters() {
        let schedule = RetrySchedule::default();
        let now = DateTime::UNIX_EPOCH;
        let wait = |j| (schedule.next_attempt(3, now, j).unwrap() - now).num_milliseconds();
        assert_eq!(wait(0.0), 60_000);
        assert_eq!(wait(0.999_999), 99_999);
        for _ in 0..100 {
            let drawn = jitter();
            assert!((0.0..1.0).contains(&drawn));
        }
    }

    #[test]
    fn a_smaller_base_shrinks_every_wait_alike() {
        let fast = RetrySchedule::with_base(Duration::from_millis(5));
        let now = DateTime::UNIX_EPOCH;
        assert_eq!(
            (fast.next_attempt(1, now, 0.5).unwrap() - now).num_milliseconds(),
            5
        );
        assert_eq!(
            (fast.next_attempt(9, now, 0.5).unwrap() - now).num_milliseconds(),
            28_800
        );
    }
}
