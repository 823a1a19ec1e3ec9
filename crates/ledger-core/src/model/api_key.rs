//! API keys: the bearer token format, its hash, what a stored key allows,
//! and which keys a key may create or delete.
//!
//! A token reads `plk_<account id>_<key id>_<secret>` (a [`Bearer`]). The
//! plaintext token exists only in the creation response.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bearer::Bearer;
use super::id::Id;
use super::scope::{Scope, ScopeGrant, granted, not_held};
use crate::validation::{self, FieldError};

const PREFIX: &str = "plk";

/// A bearer token as presented by a caller: parsed, not yet verified.
#[derive(Clone, Debug)]
pub struct ApiToken {
    pub account_id: Id,
    pub key_id: Id,
    bearer: Bearer,
}

impl ApiToken {
    /// Parses the token's shape. `None` means it cannot be one of ours.
    pub fn parse(token: &str) -> Option<Self> {
        let bearer = Bearer::parse(PREFIX, token)?;
        Some(Self {
            account_id: bearer.account_id.clone(),
            key_id: bearer.id.clone(),
            bearer,
        })
    }

    /// Mints a new token for `key_id`; returns the plaintext and its stored hash.
    pub fn issue(account_id: &Id, key_id: &Id) -> (String, String) {
        Bearer::issue(PREFIX, account_id, key_id)
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

/// The body of a key create: a label and the scopes to grant.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyDraft {
    /// What the key is for, 1 to 200 characters.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"\S",
        example = "Billing sync"
    )]
    pub name: String,
    /// 1 to 37 distinct grants: `<resource>:read`, `<resource>:write`,
    /// `<resource>:*` or `*`. Each must be held by the key that creates it.
    #[schema(min_items = 1, max_items = 37, example = json!(["partners:read", "commissions:*"]))]
    pub scopes: Vec<String>,
}

/// Why a key was not created.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyRefusal {
    /// The draft is malformed; field paths are relative to it.
    Invalid(Vec<FieldError>),
    /// The creating key does not hold these scopes the draft covers.
    NotHeld(Vec<Scope>),
}

impl ApiKey {
    /// The most grants a key lists: as many as there are distinct ones
    /// (`*`, and each resource's `:read`, `:write` and `:*`).
    pub const MAX_SCOPES: usize = 1 + 3 * super::scope::Resource::ALL.len();
    const MAX_NAME: usize = 200;

    /// A new key of `account` with `scopes`, as stored, and the only copy of
    /// its plaintext token. The scopes are taken as given: the operator's
    /// bootstrap and [`ApiKey::create`] check them first.
    pub fn new(
        account: &Id,
        name: String,
        scopes: Vec<String>,
        now: DateTime<Utc>,
    ) -> (Self, String) {
        let id = Id::generate(now);
        let (token, secret_hash) = ApiToken::issue(account, &id);
        let key = Self {
            id,
            account_id: account.clone(),
            name,
            scopes,
            secret_hash,
            created_at: now,
        };
        (key, token)
    }

    /// Validates a draft into a new key of the creator's account. Every
    /// scope the draft covers must be one `creator` holds: a key never
    /// creates a key more powerful than itself.
    pub fn create(
        draft: ApiKeyDraft,
        creator: &ApiKey,
        now: DateTime<Utc>,
    ) -> Result<(Self, String), KeyRefusal> {
        let mut errors = Vec::new();
        let name = validation::name("name", &draft.name, Self::MAX_NAME, &mut errors);
        check_scopes(&draft.scopes, &mut errors);
        if !errors.is_empty() {
            return Err(KeyRefusal::Invalid(errors));
        }
        let missing = not_held(&draft.scopes, &creator.scopes);
        if !missing.is_empty() {
            return Err(KeyRefusal::NotHeld(missing));
        }
        Ok(Self::new(&creator.account_id, name, draft.scopes, now))
    }

    /// The scopes this key covers that `holder` does not hold. A key may
    /// only delete keys no more powerful than itself: this is then empty.
    pub fn beyond(&self, holder: &ApiKey) -> Vec<Scope> {
        not_held(&self.scopes, &holder.scopes)
    }

    /// Whether `token` is this key's token (constant time in the hash).
    pub fn is_presented_by(&self, token: &ApiToken) -> bool {
        token
            .bearer
            .is(&self.account_id, &self.id, &self.secret_hash)
    }

    pub fn allows(&self, scope: Scope) -> bool {
        granted(&self.scopes, scope)
    }
}

/// Checks a scope list: 1 to [`ApiKey::MAX_SCOPES`] grants, each one
/// parseable and none given twice. Field paths are `scopes` and `scopes[i]`.
pub fn check_scopes(scopes: &[String], errors: &mut Vec<FieldError>) {
    if scopes.is_empty() || scopes.len() > ApiKey::MAX_SCOPES {
        errors.push(FieldError::new(
            "scopes",
            format!("must list 1 to {} scopes", ApiKey::MAX_SCOPES),
        ));
    }
    let mut seen: Vec<(usize, ScopeGrant)> = Vec::with_capacity(scopes.len());
    for (i, text) in scopes.iter().enumerate() {
        match ScopeGrant::parse(text) {
            Ok(grant) => match seen.iter().find(|(_, g)| *g == grant) {
                Some((first, _)) => errors.push(FieldError::new(
                    format!("scopes[{i}]"),
                    format!("repeats scopes[{first}]"),
                )),
                None => seen.push((i, grant)),
            },
            Err(error) => errors.push(error.under(&format!("scopes[{i}]"))),
        }
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

    fn creator(scopes: &[&str]) -> ApiKey {
        let account = Id::generate(Utc::now());
        let scopes = scopes.iter().map(|s| s.to_string()).collect();
        ApiKey::new(&account, "creator".into(), scopes, Utc::now()).0
    }

    fn draft(name: &str, scopes: &[&str]) -> ApiKeyDraft {
        ApiKeyDraft {
            name: name.into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn fields(refusal: KeyRefusal) -> Vec<String> {
        match refusal {
            KeyRefusal::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected a validation failure, got {other:?}"),
        }
    }

    #[test]
    fn a_created_key_belongs_to_its_creators_account_and_its_token_verifies() {
        let creator = creator(&["*"]);
        let (key, token) = ApiKey::create(
            draft("  Billing  ", &["partners:read"]),
            &creator,
            Utc::now(),
        )
        .expect("valid");
        assert_eq!(key.account_id, creator.account_id);
        assert_eq!(key.name, "Billing");
        assert_eq!(key.scopes, vec!["partners:read"]);
        assert!(!key.secret_hash.contains(&token) && !token.contains(&key.secret_hash));
        assert!(key.is_presented_by(&ApiToken::parse(&token).unwrap()));
    }

    #[test]
    fn malformed_drafts_name_each_field() {
        let creator = creator(&["*"]);
        let cases: [(ApiKeyDraft, &[&str]); 5] = [
            (draft(" ", &["partners:read"]), &["name"]),
            (draft(&"n".repeat(201), &["partners:read"]), &["name"]),
            (draft("k", &[]), &["scopes"]),
            (
                draft("k", &["partners:read", "nope", "partners:admin"]),
                &["scopes[1]", "scopes[2]"],
            ),
            (
                draft("k", &["bad", "partners:*", "*", "partners:*"]),
                &["scopes[0]", "scopes[3]"],
            ),
        ];
        for (draft, expected) in cases {
            let refused = ApiKey::create(draft.clone(), &creator, Utc::now()).unwrap_err();
            assert_eq!(fields(refused), expected.to_vec(), "{draft:?}");
        }
        let too_many: Vec<String> = (0..=ApiKey::MAX_SCOPES).map(|_| "*".to_string()).collect();
        let refused = ApiKey::create(
            ApiKeyDraft {
                name: "k".into(),
                scopes: too_many,
            },
            &creator,
            Utc::now(),
        )
        .unwrap_err();
        assert!(fields(refused).contains(&"scopes".to_string()));
    }

    #[test]
    fn a_repeat_names_the_first_occurrence() {
        let mut errors = Vec::new();
        check_scopes(
            &["x".into(), "partners:read".into(), "partners:read".into()],
            &mut errors,
        );
        assert_eq!(errors[1], FieldError::new("scopes[2]", "repeats scopes[1]"));
    }

    #[test]
    fn a_key_never_creates_or_deletes_a_more_powerful_one() {
        let restricted = creator(&["partners:read", "partners:write", "api_keys:*"]);
        let refused =
            |scopes: &[&str]| match ApiKey::create(draft("k", scopes), &restricted, Utc::now()) {
                Err(KeyRefusal::NotHeld(missing)) => {
                    missing.iter().map(ToString::to_string).collect::<Vec<_>>()
                }
                other => panic!("{scopes:?}: expected a refusal, got {other:?}"),
            };
        assert_eq!(
            refused(&["campaigns:*"]),
            vec!["campaigns:read", "campaigns:write"]
        );
        assert_eq!(
            refused(&["partners:read", "payouts:write"]),
            vec!["payouts:write"]
        );
        assert_eq!(refused(&["*"]).len(), Scope::all().count() - 4);
        assert!(ApiKey::create(draft("k", &["partners:*"]), &restricted, Utc::now()).is_ok());

        let everything = creator(&["*"]);
        assert_eq!(
            everything.beyond(&restricted).len(),
            Scope::all().count() - 4
        );
        assert!(restricted.beyond(&everything).is_empty());
        assert!(restricted.beyond(&restricted).is_empty());
    }
}
