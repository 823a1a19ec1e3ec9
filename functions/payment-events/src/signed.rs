//! A Stripe delivery's authenticity: the signature checked against the
//! account's endpoint secret before anything parses the body.
//!
//! A warm container remembers each account's secret, so a delivery is
//! verified without a read of its own. A delivery the remembered secret
//! does not sign is checked again with the account's current secret, read
//! now. Every event's first read takes the account anyway, and
//! [`Signed::confirm`] verifies the delivery again when the remembered
//! secret is no longer the account's: a rolled or removed secret takes
//! effect with the next delivery, before anything is written.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use ledger_app::{Denial, Session};
use ledger_core::model::{Account, Actor, Id};
use ledger_core::stripe::{SignatureError, verify};
use ledger_http::ApiError;
use ledger_store::{Reads, Store};

/// The endpoint secrets this container has verified deliveries with.
#[derive(Default)]
pub struct Secrets(Mutex<HashMap<Id, String>>);

impl Secrets {
    fn remembered(&self, account: &Id) -> Option<String> {
        self.lock().get(account).cloned()
    }

    fn remember(&self, account: &Id, secret: &str) {
        self.lock().insert(account.clone(), secret.to_string());
    }

    fn forget(&self, account: &Id) {
        self.lock().remove(account);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Id, String>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A delivery whose signature matched the secret it was verified with.
pub struct Signed<'a> {
    account: &'a Id,
    header: Option<&'a str>,
    payload: &'a [u8],
    received_at: DateTime<Utc>,
    secret: String,
    secrets: &'a Secrets,
    /// The Stripe event the delivery carries, once it is parsed.
    event: Option<&'a str>,
}

/// The one answer for every delivery not proven to come from the account's
/// endpoint: an unknown account, one without a secret, and a missing, stale
/// or wrong signature all read the same, so the endpoint tells nothing of
/// which accounts exist or are set up. The cause is logged for the operator.
pub fn unverified() -> ApiError {
    ApiError::BadRequest(
        "the delivery could not be verified: check the endpoint URL and its signing secret".into(),
    )
}

fn unconfigured() -> ApiError {
    tracing::info!("Stripe delivery for an account without an endpoint secret");
    unverified()
}

fn refused(error: SignatureError) -> ApiError {
    tracing::info!(%error, "Stripe delivery refused");
    unverified()
}

fn current_secret(account: Option<Account>) -> Result<(Account, String), ApiError> {
    let account = account.ok_or_else(unconfigured)?;
    let secret = account
        .stripe_webhook_secret
        .clone()
        .ok_or_else(unconfigured)?;
    Ok((account, secret))
}

impl<'a> Signed<'a> {
    /// Verifies `payload` (the raw body) against its `Stripe-Signature`
    /// `header`, with the account's remembered secret or one read now.
    pub async fn verify(
        store: &Store,
        secrets: &'a Secrets,
        account: &'a Id,
        header: Option<&'a str>,
        payload: &'a [u8],
    ) -> Result<Self, ApiError> {
        let received_at = Utc::now();
        let remembered = secrets
            .remembered(account)
            .filter(|secret| verify(header, payload, secret, received_at).is_ok());
        let secret = match remembered {
            Some(secret) => secret,
            None => {
                secrets.forget(account);
                let (current, ()) = ledger_app::read_account(store, account, ()).await?;
                let secret = current_secret(current)?.1;
                verify(header, payload, &secret, received_at).map_err(refused)?;
                secrets.remember(account, &secret);
                secret
            }
        };
        Ok(Self {
            account,
            header,
            payload,
            received_at,
            secret,
            secrets,
            event: None,
        })
    }

    /// The delivery, known to carry the Stripe event `id`: what its
    /// changes' events name as their actor.
    pub fn carrying(self, id: &'a str) -> Self {
        Self {
            event: Some(id),
            ..self
        }
    }

    /// The account as an event's first read found it, provided its current
    /// secret signed the delivery.
    fn confirm(&self, account: Option<Account>) -> Result<Account, ApiError> {
        let (account, secret) = current_secret(account).inspect_err(|_| {
            self.secrets.forget(self.account);
        })?;
        if secret != self.secret {
            self.secrets.forget(self.account);
            verify(self.header, self.payload, &secret, self.received_at).map_err(refused)?;
            self.secrets.remember(self.account, &secret);
        }
        Ok(account)
    }
}

/// An event's use case runs for the account whose endpoint the delivery
/// came to; its first read confirms the delivery against the account it
/// reads. A delivery that fails is [`Denial::Unauthenticated`], which
/// [`answer`] turns back into [`unverified`].
impl Session for Signed<'_> {
    fn account_id(&self) -> &Id {
        self.account
    }

    fn actor(&self) -> Actor {
        Actor::StripeEvent {
            id: self.event.unwrap_or_default().to_string(),
        }
    }

    async fn read<R: Reads + Send + Sync>(
        &self,
        store: &Store,
        reads: R,
    ) -> Result<(Account, R::Output), ledger_app::Error> {
        let (account, found) = ledger_app::read_account(store, self.account, reads).await?;
        let account = self
            .confirm(account)
            .map_err(|_| ledger_app::Error::Denied(Denial::Unauthenticated))?;
        Ok((account, found))
    }
}

/// What a Stripe event's use case failed with, as the webhook answers it:
/// a delivery its account's current secret does not sign reads as every
/// other unverifiable one, and field errors are named under `event`.
pub fn answer(error: ledger_app::Error) -> ApiError {
    match error {
        ledger_app::Error::Denied(_) => unverified(),
        other => ApiError::under("event")(other),
    }
}
