//! Why an operation did not happen, in the domain's words. The HTTP layer
//! maps each to its status and code; nothing here knows HTTP.

use ledger_core::model::Scope;
use ledger_core::validation::FieldError;
use ledger_store::{Missing, StoreError};

/// Why the caller may not act at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// No valid credential was presented.
    Unauthenticated,
    /// No live portal session was presented: the token is missing,
    /// malformed, unknown or expired, or its partner is banned.
    NoPortalSession,
    /// The credential is valid but lacks the scope the operation needs.
    MissingScope(Scope),
    /// The operation would create or delete a key covering these scopes,
    /// which the caller's own key does not hold.
    ScopesNotHeld(Vec<Scope>),
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller may not act on the account.
    #[error("access denied: {0:?}")]
    Denied(Denial),
    /// The entity the operation needs does not exist (or is another account's).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The operation contradicts the stored state; `code` names the rule.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// The input breaks the domain's rules, field by field.
    #[error("validation failed")]
    Invalid(Vec<FieldError>),
    /// The store failed, or lost a race the caller may settle by retrying.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Error {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid(vec![FieldError::new(field, message)])
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Error::Conflict {
            code,
            message: message.into(),
        }
    }

    /// Whether the operation lost a race and may simply be tried again.
    pub fn is_contention(&self) -> bool {
        matches!(self, Error::Store(e) if e.is_contention())
    }
}

impl From<ledger_core::views::commission::CorruptSnapshot> for Error {
    fn from(error: ledger_core::views::commission::CorruptSnapshot) -> Self {
        Error::Store(error.into())
    }
}

impl From<Missing> for Error {
    fn from(Missing(what): Missing) -> Self {
        Error::NotFound(what)
    }
}
