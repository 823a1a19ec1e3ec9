//! The bearer tokens partner-ledger issues, whatever they open: the shape
//! `<prefix>_<account id>_<id>_<secret>`, the 32 random bytes of the secret
//! (hex), and the SHA-256 of the whole token, which is all the table keeps.
//! Carrying the account and the id lets the token's item be fetched by its
//! primary key (no index, no scan); the stored hash is compared in constant
//! time. The prefix says what a token is (`plk` an API key, `plp` a portal
//! session), so no kind of token passes for another.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::id::Id;

const SECRET_BYTES: usize = 32;

/// A token as presented by a caller: parsed, not yet verified.
#[derive(Clone, Debug)]
pub struct Bearer {
    pub account_id: Id,
    /// The id of what the token is: an API key, a portal session.
    pub id: Id,
    hash: [u8; 32],
}

impl Bearer {
    /// Parses a token of kind `prefix`. `None` means it cannot be one.
    pub fn parse(prefix: &str, token: &str) -> Option<Self> {
        let mut parts = token.split('_');
        let (kind, account, id, secret) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let well_formed = kind == prefix
            && parts.next().is_none()
            && secret.len() == SECRET_BYTES * 2
            && secret.bytes().all(|b| b.is_ascii_hexdigit());
        if !well_formed {
            return None;
        }
        Some(Self {
            account_id: Id::parse(account)?,
            id: Id::parse(id)?,
            hash: Sha256::digest(token.as_bytes()).into(),
        })
    }

    /// An id derived from the token itself: the address of the item of a
    /// token that carries no id of its own (a portal session's).
    pub fn derived_id(&self) -> Id {
        Id::of_digest(&self.hash)
    }

    /// Mints a new token of kind `prefix` for `id`: the plaintext and the
    /// hex hash to store.
    pub fn issue(prefix: &str, account_id: &Id, id: &Id) -> (String, String) {
        let mut secret = [0u8; SECRET_BYTES];
        getrandom::fill(&mut secret).expect("the operating system's random source is available");
        let token = format!("{prefix}_{account_id}_{id}_{}", hex::encode(secret));
        let hash = hex::encode(Sha256::digest(token.as_bytes()));
        (token, hash)
    }

    /// Whether this is the token of `id` in `account_id` whose hash is
    /// `stored_hash` (hex; constant time in the hash).
    pub fn is(&self, account_id: &Id, id: &Id, stored_hash: &str) -> bool {
        let Ok(stored) = hex::decode(stored_hash) else {
            return false;
        };
        self.account_id == *account_id
            && self.id == *id
            && bool::from(stored.as_slice().ct_eq(&self.hash))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_parses_only_as_its_own_kind_and_verifies_only_against_its_hash() {
        let account = Id::parse("68f76721000000000000000a").unwrap();
        let id = Id::parse("68f76721000000000000000b").unwrap();
        let (token, hash) = Bearer::issue("plx", &account, &id);
        let parsed = Bearer::parse("plx", &token).expect("its own kind");
        assert!(parsed.is(&account, &id, &hash));
        assert!(Bearer::parse("ply", &token).is_none());
        let (_, other_hash) = Bearer::issue("plx", &account, &id);
        assert!(!parsed.is(&account, &id, &other_hash));
        assert!(!parsed.is(&account, &account, &hash));
        assert!(!parsed.is(&account, &id, "not hex"));
        for bad in [
            format!("{token}_"),
            token[..token.len() - 1].to_string(),
            token.replacen("plx_", "plx__", 1),
            format!("{}g", &token[..token.len() - 1]),
            String::new(),
        ] {
            assert!(Bearer::parse("plx", &bad).is_none(), "{bad}");
        }
    }
}
