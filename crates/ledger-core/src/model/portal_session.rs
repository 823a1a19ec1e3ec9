//! Portal sessions: the short-lived token a merchant mints for one partner,
//! its format, its hash, its lifetime and whether a presented token is it.
//!
//! A token reads `plp_<account id>_<partner id>_<secret>` (a [`Bearer`]):
//! the prefix is not an API key's (`plk`), so an API-key route refuses it
//! and a portal route refuses an API key. The session's id is derived from
//! the token's hash, so one read fetches the session, its account and its
//! partner together.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bearer::Bearer;
use super::id::Id;
use crate::validation::FieldError;

const PREFIX: &str = "plp";

/// A portal token as presented by a caller: parsed, not yet verified.
#[derive(Clone, Debug)]
pub struct PortalToken {
    pub account_id: Id,
    pub partner_id: Id,
    /// The session's id, derived from the token's hash.
    pub session_id: Id,
    bearer: Bearer,
}

impl PortalToken {
    /// Parses the token's shape. `None` means it cannot be a portal token.
    pub fn parse(token: &str) -> Option<Self> {
        let bearer = Bearer::parse(PREFIX, token)?;
        Some(Self {
            account_id: bearer.account_id.clone(),
            partner_id: bearer.id.clone(),
            session_id: bearer.derived_id(),
            bearer,
        })
    }
}

/// The body of a mint: how long the token lives.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortalSessionDraft {
    /// Seconds the token is valid, 60 to 86400; 3600 when absent.
    #[schema(minimum = 60, maximum = 86400, example = 3600)]
    pub expires_in: Option<i64>,
}

/// A stored portal session of one partner. Only the hash of its token is kept.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PortalSession {
    pub id: Id,
    pub account_id: Id,
    pub partner_id: Id,
    pub secret_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl PortalSession {
    pub const DEFAULT_SECONDS: i64 = 3600;
    pub const MIN_SECONDS: i64 = 60;
    pub const MAX_SECONDS: i64 = 86_400;

    /// A new session of `partner`, as stored, and the only copy of its
    /// plaintext token; `expires_in` is checked against the bounds.
    pub fn mint(
        account: &Id,
        partner: &Id,
        draft: &PortalSessionDraft,
        now: DateTime<Utc>,
    ) -> Result<(Self, String), FieldError> {
        let seconds = draft.expires_in.unwrap_or(Self::DEFAULT_SECONDS);
        if !(Self::MIN_SECONDS..=Self::MAX_SECONDS).contains(&seconds) {
            return Err(FieldError::new(
                "expires_in",
                format!(
                    "must be {} to {} seconds",
                    Self::MIN_SECONDS,
                    Self::MAX_SECONDS
                ),
            ));
        }
        let (token, secret_hash) = Bearer::issue(PREFIX, account, partner);
        let parsed = PortalToken::parse(&token).expect("a minted token parses");
        let session = Self {
            id: parsed.session_id,
            account_id: account.clone(),
            partner_id: partner.clone(),
            secret_hash,
            created_at: now,
            expires_at: now + Duration::seconds(seconds),
        };
        Ok((session, token))
    }

    /// Whether `token` is this session's token and the session is still
    /// live at `now` (constant time in the hash).
    pub fn is_presented_by(&self, token: &PortalToken, now: DateTime<Utc>) -> bool {
        token
            .bearer
            .is(&self.account_id, &self.partner_id, &self.secret_hash)
            && token.session_id == self.id
            && now < self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mint(expires_in: Option<i64>) -> Result<(PortalSession, String), FieldError> {
        let now = Utc::now();
        let (account, partner) = (Id::generate(now), Id::generate(now));
        PortalSession::mint(&account, &partner, &PortalSessionDraft { expires_in }, now)
    }

    #[test]
    fn a_minted_token_verifies_until_it_expires() {
        let (session, token) = mint(Some(60)).expect("in bounds");
        let parsed = PortalToken::parse(&token).expect("minted tokens parse");
        assert_eq!(parsed.partner_id, session.partner_id);
        assert_eq!(parsed.session_id, session.id);
        assert_eq!(
            session.expires_at - session.created_at,
            Duration::seconds(60)
        );
        assert!(session.is_presented_by(&parsed, session.created_at));
        assert!(session.is_presented_by(&parsed, session.expires_at - Duration::seconds(1)));
        assert!(!session.is_presented_by(&parsed, session.expires_at));
        assert!(!token.contains(&session.secret_hash));
    }

    #[test]
    fn the_lifetime_defaults_to_an_hour_and_is_bounded() {
        let (session, _) = mint(None).unwrap();
        assert_eq!(session.expires_at - session.created_at, Duration::hours(1));
        assert!(mint(Some(86_400)).is_ok());
        for bad in [59, 86_401, 0, -5] {
            assert_eq!(mint(Some(bad)).unwrap_err().field, "expires_in", "{bad}");
        }
    }

    #[test]
    fn another_sessions_token_or_an_api_key_does_not_verify() {
        let (session, _) = mint(None).unwrap();
        let (_, other) = mint(None).unwrap();
        let other = PortalToken::parse(&other).unwrap();
        assert!(!session.is_presented_by(&other, session.created_at));
        let key = format!(
            "plk_{}_{}_{}",
            session.account_id,
            session.partner_id,
            "a".repeat(64)
        );
        assert!(PortalToken::parse(&key).is_none());
    }
}
