//! How long a payout run started by hand may work. It answers over API
//! Gateway, whose integration timeout is 30 s, so the run stops starting
//! new work well before that, or before the Lambda invocation's own
//! deadline if that comes first. The run then reports `complete: false`
//! and the next run continues from where it stopped.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use lambda_http::RequestExt;
use ledger_app::payout_run::{Deadline, time_left};

/// The longest a run started by hand works, from the request's arrival.
const MOST: Duration = Duration::from_secs(25);
/// Time kept back for the write or read in flight and the answer.
const MARGIN: Duration = Duration::from_secs(3);

/// The run's budget: [`MOST`] from the request's arrival, or the
/// invocation's deadline if sooner, less [`MARGIN`]. Without an invocation
/// (an in-process router) or a real deadline only [`MOST`] applies.
pub struct RunDeadline(pub Deadline);

impl<S: Send + Sync> FromRequestParts<S> for RunDeadline {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let invocation_left = parts
            .lambda_context_ref()
            .and_then(|context| time_left(context.deadline()));
        Ok(Self(Deadline::new(
            finish_by(Instant::now(), invocation_left),
            MARGIN,
        )))
    }
}

/// When a run that starts `now` must be done: [`MOST`] later, or when the
/// invocation ends (`invocation_left` from now) if that is sooner.
fn finish_by(now: Instant, invocation_left: Option<Duration>) -> Instant {
    let cap = now + MOST;
    invocation_left.map_or(cap, |left| cap.min(now + left))
}

#[cfg(test)]
mod tests {
    use std::time::{SystemTime, UNIX_EPOCH};

    use lambda_http::Context;
    use ledger_app::payout_run::Budget;

    use super::*;

    #[test]
    fn a_run_ends_25_seconds_in_or_with_the_invocation_if_sooner() {
        let now = Instant::now();
        assert_eq!(finish_by(now, None), now + MOST);
        assert_eq!(finish_by(now, Some(Duration::from_secs(900))), now + MOST);
        assert_eq!(
            finish_by(now, Some(Duration::from_secs(10))),
            now + Duration::from_secs(10)
        );
    }

    /// The budget of a request whose invocation ends `deadline_ms` after
    /// the epoch (`None`: no invocation).
    async fn budget(deadline_ms: Option<u64>) -> Deadline {
        let mut request = axum::http::Request::new(());
        if let Some(deadline_ms) = deadline_ms {
            let mut context = Context::default();
            context.deadline = deadline_ms;
            request.extensions_mut().insert(context);
        }
        let (mut parts, ()) = request.into_parts();
        let Ok(RunDeadline(deadline)) = RunDeadline::from_request_parts(&mut parts, &()).await;
        deadline
    }

    /// `left` from now, in milliseconds after the epoch.
    fn in_ms(left: Duration) -> Option<u64> {
        let at = (SystemTime::now() + left)
            .duration_since(UNIX_EPOCH)
            .unwrap();
        Some(u64::try_from(at.as_millis()).unwrap())
    }

    #[tokio::test]
    async fn the_invocations_deadline_less_the_margin_bounds_the_run() {
        assert!(!budget(None).await.exhausted(), "no invocation: 25 s");
        assert!(!budget(in_ms(Duration::from_secs(30))).await.exhausted());
        assert!(
            budget(in_ms(Duration::from_secs(2))).await.exhausted(),
            "2 s left is within the margin"
        );
        assert!(
            !budget(Some(600_000)).await.exhausted(),
            "a deadline past on arrival (cargo lambda watch's) is ignored"
        );
    }
}
