//! How long a payout run started by hand may work, as an extractor: the
//! request's arrival and the Lambda invocation's deadline, from which
//! `ledger_app::payouts::by_hand_deadline` sets the run's budget (it
//! answers over API Gateway, whose integration timeout is 30 s). The run
//! then reports `complete: false` if it stopped early, and the next run
//! continues from where it stopped.

use std::convert::Infallible;
use std::time::Instant;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use lambda_http::RequestExt;
use ledger_app::payout_run::{Deadline, time_left};

/// The run's budget, from the request's arrival and the invocation's
/// deadline (`ledger_app::payouts::by_hand_deadline`). Without an
/// invocation (an in-process router) or a real deadline only the run's own
/// cap applies.
pub struct RunDeadline(pub Deadline);

impl<S: Send + Sync> FromRequestParts<S> for RunDeadline {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let invocation_left = parts
            .lambda_context_ref()
            .and_then(|context| time_left(context.deadline()));
        Ok(Self(ledger_app::payouts::by_hand_deadline(
            Instant::now(),
            invocation_left,
        )))
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use lambda_http::Context;
    use ledger_app::payout_run::Budget;

    use super::*;

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
