//! Webhook deliveries: from an outbox event to one signed delivery per
//! matching endpoint, and the sweep that retries what is due.
//!
//! Exactly-once bookkeeping, at-least-once delivery: before the first
//! attempt, the delivery of (endpoint, event) is recorded as its own item,
//! claimed by its dispatcher for a lease. A replayed stream record finds it
//! recorded and leaves it alone; a dispatcher killed mid-attempt leaves it
//! pending, and the sweep attempts it once the lease is over. Every write
//! after that is conditional on the version the dispatcher read, so two
//! dispatchers never both record one attempt. The event id is the
//! `webhook-id`, the receiver's idempotency key.
//!
//! Each account's endpoints are attempted concurrently, each with its own
//! timeout, and each account is its own unit of failure: a slow or failing
//! endpoint never holds up another.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::join_all;
use ledger_core::model::Id;
use ledger_core::webhooks::retry::jitter;
use ledger_core::webhooks::{
    Attempt, OutboxEvent, Outcome, RetrySchedule, WebhookDelivery, WebhookEndpoint,
};
use ledger_store::{Store, StoreError, accounts, webhook_deliveries, webhook_endpoints};

/// What one POST to an endpoint came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Posted {
    /// The endpoint's HTTP status, if it answered.
    pub status_code: Option<u16>,
    /// Why no 2xx came back.
    pub error: Option<String>,
    pub latency: Duration,
}

/// Sends one signed delivery; the HTTP client lives with the dispatcher.
pub trait Courier: Sync {
    /// POSTs `body` to `url` with `headers`, within [`Courier::timeout`].
    fn post(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: &str,
    ) -> impl Future<Output = Posted> + Send;

    /// The longest one attempt may take.
    fn timeout(&self) -> Duration;
}

/// What a dispatch or a sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub delivered: u32,
    pub retrying: u32,
    /// Endpoints disabled because a delivery spent its retries: (account, endpoint).
    pub disabled: Vec<(Id, Id)>,
    /// Deliveries recorded before (a replay) or claimed by another dispatcher.
    pub skipped: u32,
    /// Accounts whose deliveries could not be read or written, with the error.
    pub failures: Vec<(Id, String)>,
}

impl Report {
    fn add(&mut self, other: Report) {
        self.delivered += other.delivered;
        self.retrying += other.retrying;
        self.disabled.extend(other.disabled);
        self.skipped += other.skipped;
        self.failures.extend(other.failures);
    }

    fn count(&mut self, account: &Id, endpoint: &Id, outcome: Option<Outcome>) {
        match outcome {
            Some(Outcome::Delivered) => self.delivered += 1,
            Some(Outcome::Retrying) => self.retrying += 1,
            Some(Outcome::GaveUp) => self.disabled.push((account.clone(), endpoint.clone())),
            None => self.skipped += 1,
        }
    }
}

/// The dispatcher: a store, a courier and the retry schedule.
pub struct Dispatcher<C> {
    pub store: Store,
    pub courier: C,
    pub schedule: RetrySchedule,
}

impl<C: Courier> Dispatcher<C> {
    /// Delivers `events` (an outbox item's, or a batch of them): each to the
    /// enabled endpoints of its account that take its type.
    pub async fn dispatch(&self, events: &[OutboxEvent]) -> Report {
        let mut report = Report::default();
        for result in join_all(events.iter().map(|event| self.announce(event))).await {
            report.add(result);
        }
        report
    }

    async fn announce(&self, event: &OutboxEvent) -> Report {
        let account = &event.account_id;
        let mut report = Report::default();
        let endpoints = match webhook_endpoints::list(&self.store, account).await {
            Ok(endpoints) => endpoints,
            Err(error) => {
                report.failures.push((account.clone(), error.to_string()));
                return report;
            }
        };
        let now = Utc::now();
        let lease = self.schedule.lease(self.courier.timeout());
        let attempts = endpoints
            .iter()
            .filter(|endpoint| endpoint.receives(&event.event_type))
            .map(|endpoint| async move {
                let delivery = WebhookDelivery::claimed(
                    &endpoint.id,
                    &event.id,
                    &event.event_type,
                    &event.body,
                    now,
                    lease,
                );
                if !webhook_deliveries::record_new(&self.store, account, &delivery).await? {
                    return Ok(None);
                }
                let read_at = delivery.version;
                self.attempt(account, endpoint, delivery, read_at).await
            });
        for (endpoint, result) in endpoints
            .iter()
            .filter(|endpoint| endpoint.receives(&event.event_type))
            .zip(join_all(attempts).await)
        {
            match result {
                Ok(outcome) => report.count(account, &endpoint.id, outcome),
                Err(error) => report.failures.push((account.clone(), error.to_string())),
            }
        }
        report
    }

    /// Attempts every delivery due at `now` in every account, accounts at once.
    pub async fn sweep(&self, now: DateTime<Utc>) -> Report {
        let mut report = Report::default();
        let accounts = match accounts::all_ids(&self.store).await {
            Ok(accounts) => accounts,
            Err(error) => {
                report
                    .failures
                    .push((Id::first_at(now), format!("account directory: {error}")));
                return report;
            }
        };
        for result in join_all(
            accounts
                .iter()
                .map(|account| self.sweep_account(account, now)),
        )
        .await
        {
            report.add(result);
        }
        report
    }

    /// Attempts the account's deliveries due at `now`.
    pub async fn sweep_account(&self, account: &Id, now: DateTime<Utc>) -> Report {
        let mut report = Report::default();
        let mut due = Vec::new();
        let mut start = None;
        loop {
            match webhook_deliveries::due(&self.store, account, now, start).await {
                Ok((pairs, next)) => {
                    due.extend(pairs);
                    start = next;
                }
                Err(error) => {
                    report.failures.push((account.clone(), error.to_string()));
                    return report;
                }
            }
            if start.is_none() {
                break;
            }
        }
        let results = join_all(
            due.iter()
                .map(|(endpoint, event)| self.retry(account, endpoint, event, now)),
        )
        .await;
        for ((endpoint, _), result) in due.iter().zip(results) {
            match result {
                Ok(outcome) => report.count(account, endpoint, outcome),
                Err(error) => report.failures.push((account.clone(), error.to_string())),
            }
        }
        report
    }

    /// Claims and attempts one due delivery; `None` if it was not due after
    /// all (the index lags) or another dispatcher claimed it first.
    async fn retry(
        &self,
        account: &Id,
        endpoint_id: &Id,
        event: &Id,
        now: DateTime<Utc>,
    ) -> Result<Option<Outcome>, StoreError> {
        let Some(mut delivery) =
            webhook_deliveries::find(&self.store, account, endpoint_id, event).await?
        else {
            return Ok(None);
        };
        if !delivery.is_due(now) {
            return Ok(None);
        }
        let read_at = delivery.version;
        let endpoint = self
            .store
            .read(&webhook_endpoints::at(account, endpoint_id))
            .await?;
        let Some(endpoint) = endpoint.filter(|endpoint| endpoint.enabled) else {
            // Deleted or disabled: nothing more is sent to it.
            delivery.abandon();
            webhook_deliveries::save(&self.store, account, &delivery, read_at).await?;
            return Ok(None);
        };
        delivery.claim(now, self.schedule.lease(self.courier.timeout()));
        if !webhook_deliveries::save(&self.store, account, &delivery, read_at).await? {
            return Ok(None);
        }
        let claimed_at = delivery.version;
        self.attempt(account, &endpoint, delivery, claimed_at).await
    }

    /// Sends one claimed delivery and records the attempt; disables the
    /// endpoint when the delivery has spent its retries.
    async fn attempt(
        &self,
        account: &Id,
        endpoint: &WebhookEndpoint,
        mut delivery: WebhookDelivery,
        read_at: u64,
    ) -> Result<Option<Outcome>, StoreError> {
        let at = Utc::now();
        let timestamp = at.timestamp();
        let id = delivery.event_id.to_string();
        let signature = endpoint.secret.sign(&id, timestamp, &delivery.body);
        let headers = [
            ("webhook-id", id),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", signature),
        ];
        let posted = self
            .courier
            .post(&endpoint.url, &headers, &delivery.body)
            .await;
        let attempt = Attempt {
            attempt: delivery.next_attempt_number(),
            at,
            status_code: posted.status_code,
            latency_ms: u64::try_from(posted.latency.as_millis()).unwrap_or(u64::MAX),
            error: posted.error,
        };
        let outcome = delivery.record(attempt, &self.schedule, jitter());
        if !webhook_deliveries::save(&self.store, account, &delivery, read_at).await? {
            // Another dispatcher took the delivery over: its record stands.
            return Ok(None);
        }
        if outcome == Outcome::GaveUp {
            let reason = format!(
                "the delivery of event {} failed {} times, for about a day",
                delivery.event_id, delivery.attempts_in_round
            );
            let disable =
                webhook_endpoints::disable(&self.store, account, endpoint, &reason, Utc::now())?;
            if let Err(error) = self.store.transact(vec![disable]).await {
                // Changed meanwhile (re-enabled, a new URL): its owner decided.
                tracing::warn!(%account, endpoint = %endpoint.id, %error, "failing endpoint not disabled");
            }
            tracing::error!(%account, endpoint = %endpoint.id, event = %delivery.event_id, "webhook endpoint disabled after its retries were spent");
        }
        Ok(Some(outcome))
    }
}
