//! The retry policy (README, delivery): retry connection errors, timeouts, 408,
//! 429 and 5xx (429 and 503 honouring `Retry-After`, seconds or an HTTP date,
//! capped at 24 h); any other answer that is not 2xx fails at once. Every attempt,
//! a 429 included, uses up a slot of the schedule; when it is used up the job is dead.

use std::time::{Duration, SystemTime};

use time::OffsetDateTime;

use crate::store::JobNext;

/// The longest `Retry-After` honoured.
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(24 * 3600);

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx answer.
    Delivered,
    /// Worth trying again, after `retry_after` when the target said so.
    Transient {
        error: String,
        retry_after: Option<Duration>,
    },
    /// Trying again would not help.
    Permanent { error: String },
    /// Nothing was sent because nothing is configured to send it with.
    Skipped { reason: String },
}

/// Classify an answer's status (with its `Retry-After`, already parsed).
pub fn classify(status: u16, retry_after: Option<Duration>) -> Outcome {
    match status {
        200..=299 => Outcome::Delivered,
        429 | 503 => Outcome::Transient {
            error: format!("HTTP {status}"),
            retry_after,
        },
        408 | 500..=599 => Outcome::Transient {
            error: format!("HTTP {status}"),
            retry_after: None,
        },
        _ => Outcome::Permanent {
            error: format!("HTTP {status}"),
        },
    }
}

/// A `Retry-After` value: whole seconds or an HTTP date; capped at 24 h.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            let at = httpdate::parse_http_date(value).ok()?;
            at.duration_since(now).unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.min(RETRY_AFTER_CAP))
}

/// Where a job goes after its attempt number `attempt` (1 = the first try).
pub fn next(schedule: &[u64], attempt: i64, outcome: Outcome, now: OffsetDateTime) -> JobNext {
    match outcome {
        Outcome::Delivered => JobNext::Delivered,
        Outcome::Permanent { error } => JobNext::Dead { error },
        Outcome::Skipped { reason } => JobNext::Skipped { reason },
        Outcome::Transient { error, retry_after } => {
            let slot = usize::try_from(attempt.saturating_sub(1)).unwrap_or(usize::MAX);
            match schedule.get(slot) {
                None => JobNext::Dead {
                    error: format!("{error} (gave up after {attempt} attempts)"),
                },
                Some(&seconds) => {
                    let wait = retry_after.unwrap_or(Duration::from_secs(seconds));
                    let wait = time::Duration::try_from(wait).unwrap_or(time::Duration::DAY);
                    JobNext::Retry {
                        due_at: now + wait,
                        error,
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: OffsetDateTime = time::macros::datetime!(2026-01-01 00:00 UTC);

    fn transient() -> Outcome {
        classify(503, None)
    }

    #[test]
    fn success_408_429_and_5xx_retry_other_answers_do_not() {
        assert_eq!(classify(204, None), Outcome::Delivered);
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(
                matches!(classify(status, None), Outcome::Transient { .. }),
                "{status}"
            );
        }
        for status in [301, 400, 401, 404, 410, 422] {
            assert!(
                matches!(classify(status, None), Outcome::Permanent { .. }),
                "{status}"
            );
        }
    }

    #[test]
    fn a_schedule_of_three_gives_four_attempts() {
        let schedule = [1, 1, 1];
        for attempt in 1..=3 {
            assert!(matches!(
                next(&schedule, attempt, transient(), NOW),
                JobNext::Retry { .. }
            ));
        }
        assert!(matches!(
            next(&schedule, 4, transient(), NOW),
            JobNext::Dead { .. }
        ));
    }

    #[test]
    fn each_retry_waits_its_slot_of_the_schedule() {
        let schedule = [5, 300];
        let JobNext::Retry { due_at, .. } = next(&schedule, 2, transient(), NOW) else {
            panic!("retries");
        };
        assert_eq!(due_at - NOW, time::Duration::seconds(300));
    }

    #[test]
    fn retry_after_replaces_the_slot_and_is_capped_at_a_day() {
        let outcome = classify(429, parse_retry_after("120", SystemTime::now()));
        let JobNext::Retry { due_at, .. } = next(&[5], 1, outcome, NOW) else {
            panic!("retries");
        };
        assert_eq!(due_at - NOW, time::Duration::seconds(120));
        assert_eq!(
            parse_retry_after("999999", SystemTime::now()),
            Some(RETRY_AFTER_CAP)
        );
    }

    #[test]
    fn retry_after_may_be_an_http_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
