//! The partner portal's credential: `Authorization: Bearer plp_...`, a
//! portal session's token (never an API key). [`PortalCaller`] is extracted
//! without I/O; [`PortalCaller::verify`] verifies the session (its hash,
//! its expiry) and then reads its account and its partner in full
//! (statistics included), which must not be banned: anything else is 401,
//! so a banned partner's live token stops working at once. As
//! a use case's [`ledger_app::Session`], it writes as the portal session.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use chrono::Utc;
use ledger_app::{Denial, Error};
use ledger_core::model::{Account, Actor, Id, Partner, PortalSession, PortalToken};
use ledger_store::{Key, Reads, Store, accounts, partners, portal_sessions};

use super::error::ApiError;

/// A caller that presented a well-formed portal token.
pub struct PortalCaller {
    token: PortalToken,
}

impl<State: Sync> FromRequestParts<State> for PortalCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &State) -> Result<Self, Self::Rejection> {
        let value = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .ok_or(ApiError::PortalUnauthorized)?;
        let (scheme, token) = value
            .trim()
            .split_once(' ')
            .ok_or(ApiError::PortalUnauthorized)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(ApiError::PortalUnauthorized);
        }
        let token = PortalToken::parse(token.trim()).ok_or(ApiError::PortalUnauthorized)?;
        Ok(Self { token })
    }
}

/// A verified portal session: its account and its partner, in good standing.
pub struct Portal {
    pub session: PortalSession,
    pub account: Account,
    pub partner: Partner,
}

impl PortalCaller {
    /// The live session the token is, its account and its partner (not
    /// banned), in one round trip; 401 otherwise.
    pub async fn verify(&self, store: &Store) -> Result<Portal, ApiError> {
        Ok(self.verify_with(store, ()).await?.0)
    }

    /// [`PortalCaller::verify`], reading `reads` in the same round trip.
    pub async fn verify_with<R: Reads>(
        &self,
        store: &Store,
        reads: R,
    ) -> Result<(Portal, R::Output), ApiError> {
        let token = &self.token;
        let reads = (
            Key::portal_session(&token.account_id, &token.session_id),
            accounts::at(&token.account_id),
            partners::at(&token.account_id, &token.partner_id),
            reads,
        );
        let (session, account, partner, output) = store.read(&reads).await?;
        let session = session
            .map(portal_sessions::from_item)
            .transpose()?
            .filter(|session| session.is_presented_by(token, Utc::now()))
            .ok_or(ApiError::PortalUnauthorized)?;
        let (account, partner) = account
            .zip(partner.filter(|partner| !partner.banned))
            .ok_or(ApiError::PortalUnauthorized)?;
        tracing::Span::current().record("account", token.account_id.as_str());
        let portal = Portal {
            session,
            account,
            partner,
        };
        Ok((portal, output))
    }
}

impl ledger_app::Session for PortalCaller {
    fn account_id(&self) -> &Id {
        &self.token.account_id
    }

    fn actor(&self) -> Actor {
        Actor::PortalSession {
            id: self.token.session_id.clone(),
        }
    }

    /// Verifies the session and its partner, reading the account and
    /// `reads` in the same round trip.
    async fn read<R: Reads + Send + Sync>(
        &self,
        store: &Store,
        reads: R,
    ) -> Result<(Account, R::Output), Error> {
        let (portal, output) =
            self.verify_with(store, reads)
                .await
                .map_err(|refusal| match refusal {
                    ApiError::Internal(cause) => Error::Store(cause),
                    _ => Error::Denied(Denial::NoPortalSession),
                })?;
        Ok((portal.account, output))
    }
}
