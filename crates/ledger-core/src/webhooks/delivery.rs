//! One event's delivery to one endpoint: its attempts, and what comes next.
//!
//! A delivery is `pending` from the moment it is recorded (before its first
//! attempt, so a dispatcher killed mid-attempt loses nothing: the delivery
//! falls due again when its lease runs out) until an attempt succeeds
//! (`succeeded`) or the retry schedule is spent (`failed`). `due_at` is when
//! a pending delivery is next attempted; a dispatcher claims an attempt by
//! moving it to the end of its lease.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::retry::RetrySchedule;
use crate::model::Id;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Succeeded,
    Failed,
}

/// One attempt, as the delivery log shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Attempt {
    /// 1 for the first attempt.
    pub attempt: u32,
    pub at: DateTime<Utc>,
    /// The endpoint's HTTP status, if it answered.
    #[serde(default)]
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    /// Why the attempt failed (a refused address, a timeout, a status).
    #[serde(default)]
    pub error: Option<String>,
}

impl Attempt {
    pub fn succeeded(&self) -> bool {
        self.error.is_none() && self.status_code.is_some_and(|s| (200..300).contains(&s))
    }
}

/// What a recorded attempt leaves to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Tried again at `due_at`.
    Retrying,
    /// The schedule is spent: the endpoint is to be disabled.
    GaveUp,
}

#[derive(Clone, Debug)]
pub struct WebhookDelivery {
    pub endpoint_id: Id,
    pub event_id: Id,
    pub event_type: String,
    /// The event's canonical JSON: the body of every attempt.
    pub body: String,
    pub status: DeliveryStatus,
    /// Attempts since the delivery was recorded or last retried by hand.
    pub attempts_in_round: u32,
    /// The latest attempts, oldest first (at most [`Self::LOG_LENGTH`]).
    pub attempts: Vec<Attempt>,
    pub due_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub version: u64,
}

impl WebhookDelivery {
    pub const LOG_LENGTH: usize = 20;

    /// A delivery about to be attempted by the dispatcher recording it,
    /// which holds it until `now + lease`.
    pub fn claimed(
        endpoint_id: &Id,
        event_id: &Id,
        event_type: &str,
        body: &str,
        now: DateTime<Utc>,
        lease: TimeDelta,
    ) -> Self {
        Self {
            endpoint_id: endpoint_id.clone(),
            event_id: event_id.clone(),
            event_type: event_type.to_string(),
            body: body.to_string(),
            status: DeliveryStatus::Pending,
            attempts_in_round: 0,
            attempts: Vec::new(),
            due_at: Some(now + lease),
            created_at: now,
            version: 1,
        }
    }

    /// Whether a dispatcher may attempt it at `now`.
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.status == DeliveryStatus::Pending && self.due_at.is_some_and(|due| due <= now)
    }

    /// Takes the next attempt for a dispatcher, until `now + lease`.
    pub fn claim(&mut self, now: DateTime<Utc>, lease: TimeDelta) {
        self.due_at = Some(now + lease);
        self.version += 1;
    }

    /// The number the next attempt gets in the log.
    pub fn next_attempt_number(&self) -> u32 {
        self.attempts.last().map_or(1, |a| a.attempt + 1)
    }

    /// Records `attempt` and decides what follows it.
    pub fn record(&mut self, attempt: Attempt, schedule: &RetrySchedule, jitter: f64) -> Outcome {
        let at = attempt.at;
        let succeeded = attempt.succeeded();
        self.attempts.push(attempt);
        if self.attempts.len() > Self::LOG_LENGTH {
            self.attempts.remove(0);
        }
        self.attempts_in_round += 1;
        self.version += 1;
        if succeeded {
            self.status = DeliveryStatus::Succeeded;
            self.due_at = None;
            return Outcome::Delivered;
        }
        match schedule.next_attempt(self.attempts_in_round, at, jitter) {
            Some(due) => {
                self.due_at = Some(due);
                Outcome::Retrying
            }
            None => {
                self.status = DeliveryStatus::Failed;
                self.due_at = None;
                Outcome::GaveUp
            }
        }
    }

    /// Ends a pending delivery whose endpoint no longer takes it.
    pub fn abandon(&mut self) {
        self.status = DeliveryStatus::Failed;
        self.due_at = None;
        self.version += 1;
    }

    /// A retry asked for by hand: due now, with a fresh schedule.
    pub fn redeliver(&mut self, now: DateTime<Utc>) {
        self.status = DeliveryStatus::Pending;
        self.attempts_in_round = 0;
        self.due_at = Some(now);
        self.version += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(n: u32, at: DateTime<Utc>, status: u16) -> Attempt {
        Attempt {
            attempt: n,
            at,
            status_code: Some(status),
            latency_ms: 3,
            error: (status >= 300).then(|| format!("answered {status}")),
        }
    }

    #[test]
    fn failures_are_retried_until_the_schedule_is_spent() {
        let schedule = RetrySchedule::default();
        let now = Utc::now();
        let id = Id::generate(now);
        let mut delivery = WebhookDelivery::claimed(
            &id,
            &id,
            "commission.created",
            "{}",
            now,
            TimeDelta::seconds(30),
        );
        assert!(!delivery.is_due(now));
        for n in 1..super::super::retry::MAX_ATTEMPTS {
            assert_eq!(
                delivery.record(attempt(n, now, 500), &schedule, 0.5),
                Outcome::Retrying
            );
            assert_eq!(delivery.status, DeliveryStatus::Pending);
        }
        let last = super::super::retry::MAX_ATTEMPTS;
        assert_eq!(
            delivery.record(attempt(last, now, 500), &schedule, 0.5),
            Outcome::GaveUp
        );
        assert_eq!(delivery.status, DeliveryStatus::Failed);
        assert_eq!(delivery.due_at, None);
        delivery.redeliver(now);
        assert!(delivery.is_due(now));
        assert_eq!(
            delivery.record(
                attempt(delivery.next_attempt_number(), now, 204),
                &schedule,
                0.5
            ),
            Outcome::Delivered
        );
        assert_eq!(delivery.status, DeliveryStatus::Succeeded);
        assert_eq!(delivery.attempts.last().unwrap().attempt, last + 1);
    }

    #[test]
    fn a_redirect_is_a_failure() {
        assert!(!attempt(1, Utc::now(), 301).succeeded());
        assert!(attempt(1, Utc::now(), 299).succeeded());
    }
}
