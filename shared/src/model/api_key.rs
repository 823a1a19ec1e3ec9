//! API keys: the bearer token format, its hash, and what a stored key allows.
//!
//! A token reads `plk_<account id>_<key id>_<secret>`. Carrying the account and
//! key id lets the key item be fetched by its primary key (no index, no scan),
//! and the stored SHA-256 of the whole token is compared in constant time. The
//! plaintext token exists only in the creation response.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::id::Id;
use super::scope::{Scope, granted};

const PREFIX: &str = "plk";
const SECRET_BYTES: usize = 32;

/// A bearer token as presented by a caller: parsed, not yet verified.
#[derive(Clone, Debug)]
pub struct ApiToken {
    pub account_id: Id,
    pub key_id: Id,
    hash: [u8; 32],
}

impl ApiToken {
    /// Parses the token's shape. `None` means it cannot be one of ours.
    pub fn parse(token: &str) -> Option<Self> {
        let mut parts = token.split('_');
        let (prefix, account, key, secret) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let well_formed = prefix == PREFIX
            && parts.next().is_none()
            && secret.len() == SECRET_BYTES * 2
            && secret.bytes().all(|b| b.is_ascii_hexdigit());
        if !well_formed {
            return None;
        }
        Some(Self {
            account_id: Id::parse(account)?,
            key_id: Id::parse(key)?,
            hash: Sha256::digest(token.as_bytes()).into(),
        })
    }

    /// Mints a new token for `key_id`; returns the plaintext and its stored hash.
    pub fn issue(account_id: &Id, key_id: &Id) -> (String, String) {
        let mut secret = [0u8; SECRET_BYTES];
        getrandom::fill(&mut secret).expect("the operating system's random source is available");
        let token = format!("{PREFIX}_{account_id}_{key_id}_{}", hex::encode(secret));
        let hash = hex::encode(Sha256::digest(token.as_bytes()));
        (token, hash)
    }
}

/// A stored API key. Only the hash of its token is kept.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: Id,
    pub account_id: Id,
    pub name: String,
    pub scopes: Vec<String>,
    pub secret_hash: String,
    pub created_at: DateTime<Utc>,
}

impl ApiKey {
    /// Whether `token` is this key's token (constant time in the hash).
    pub fn is_presented_by(&self, token: &ApiToken) -> bool {
        let Ok(stored) = hex::decode(&self.secret_hash) else {
            return false;
        };
        self.account_id == token.account_id
            && self.id == token.key_id
            && bool::from(stored.as_slice().ct_eq(&token.hash))
    }

    pub fn allows(&self, scope: Scope) -> bool {
        granted(&self.scopes, scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::scope::{Access, Resource};

    fn key_for(account: &Id, id: &Id, hash: String) -> ApiKey {
        ApiKey {
            id: id.clone(),
            account_id: account.clone(),
            name: "test".into(),
            scopes: vec!["partner_groups:read".into()],
            secret_hash: hash,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn an_issued_token_parses_and_verifies_against_its_hash() {
        let (account, id) = (Id::generate(Utc::now()), Id::generate(Utc::now()));
        let (token, hash) = ApiToken::issue(&account, &id);
        let parsed = ApiToken::parse(&token).expect("issued tokens parse");
        assert_eq!(parsed.account_id, account);
        assert!(key_for(&account, &id, hash).is_presented_by(&parsed));
    }

    #[test]
    fn a_different_secret_does_not_verify() {
        let (account, id) = (Id::generate(Utc::now()), Id::generate(Utc::now()));
        let (_, hash) = ApiToken::issue(&account, &id);
        let (other, _) = ApiToken::issue(&account, &id);
        assert!(!key_for(&account, &id, hash).is_presented_by(&ApiToken::parse(&other).unwrap()));
    }

    #[test]
    fn malformed_tokens_do_not_parse() {
        let account = Id::generate(Utc::now());
        for bad in [
            "".to_string(),
            "plk".to_string(),
            format!("plk_{account}_{account}_abc"),
            format!("sk_{account}_{account}_{}", "a".repeat(64)),
            format!("plk_{account}_{account}_{}_x", "a".repeat(64)),
            format!("plk_{account}_{account}_{}", "g".repeat(64)),
        ] {
            assert!(ApiToken::parse(&bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn scopes_are_checked() {
        let (account, id) = (Id::generate(Utc::now()), Id::generate(Utc::now()));
        let key = key_for(&account, &id, String::new());
        assert!(key.allows(Scope::new(Resource::PartnerGroups, Access::Read)));
        assert!(!key.allows(Scope::new(Resource::PartnerGroups, Access::Write)));
    }
}
