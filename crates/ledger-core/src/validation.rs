//! Field-level validation failures: what every layer reports when input is wrong.
//!
//! The engine, the model and the HTTP layer all speak this one type, so a bad
//! rule deep inside a request surfaces as `partnerGroup.rules[1].percentage`
//! without any layer knowing about the others.

use std::fmt;

use rust_decimal::Decimal;

use crate::money::{self, Currency, MAX_AMOUNT};

/// One problem with one input field. `field` is a dotted path such as
/// `rules[1].percentage`; callers prefix it with the wrapper key they own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same error seen from one level up: `percentage` under `rules[1]`
    /// becomes `rules[1].percentage`.
    pub fn under(self, parent: &str) -> Self {
        let field = if self.field.is_empty() {
            parent.to_string()
        } else if self.field.starts_with('[') {
            format!("{parent}{}", self.field)
        } else {
            format!("{parent}.{}", self.field)
        };
        Self { field, ..self }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Re-roots a whole list of errors under `parent`.
pub fn under(errors: Vec<FieldError>, parent: &str) -> Vec<FieldError> {
    errors.into_iter().map(|e| e.under(parent)).collect()
}

/// Checks an email address the way the API needs it: trimmed, at most 254
/// bytes (RFC 5321's limit, which also keeps it well inside a DynamoDB sort
/// key when it is a unique value), one `@` with something on both sides and
/// no whitespace. Returns the trimmed address.
pub fn email(field: &str, value: &str, errors: &mut Vec<FieldError>) -> String {
    let value = value.trim();
    let well_formed = value.len() <= 254
        && !value.chars().any(char::is_whitespace)
        && value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        });
    if !well_formed {
        errors.push(FieldError::new(field, "must be an email address"));
    }
    value.to_string()
}

/// Checks that an optional text is at most `max` characters.
pub fn max_chars(field: &str, value: Option<&str>, max: usize, errors: &mut Vec<FieldError>) {
    if value.is_some_and(|v| v.chars().count() > max) {
        errors.push(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
}

/// Checks a display name: trimmed, not empty, at most `max` characters.
/// Returns the trimmed name.
pub fn name(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let value = value.trim();
    if value.is_empty() {
        errors.push(FieldError::new(field, "must not be empty"));
    }
    max_chars(field, Some(value), max, errors);
    value.to_string()
}

/// The longest idempotency key (event id, payment id), plan id or other
/// value that becomes part of a table key, in UTF-8 bytes: DynamoDB limits a
/// sort key to 1024 bytes, and a unique value's key adds a short prefix.
pub const MAX_KEY: usize = 255;

/// An idempotency key or plan id: 1 to [`MAX_KEY`] bytes, not blank.
pub fn is_key(key: &str) -> bool {
    !key.trim().is_empty() && key.len() <= MAX_KEY
}

/// Checks an optional idempotency key or plan id (see [`is_key`]).
pub fn key(field: &str, value: Option<&str>, errors: &mut Vec<FieldError>) {
    if value.is_some_and(|k| !is_key(k)) {
        errors.push(FieldError::new(
            field,
            format!("must be 1 to {MAX_KEY} bytes"),
        ));
    }
}

/// Checks that an amount lies within ±[`MAX_AMOUNT`].
pub fn bounded(field: &str, value: Decimal, errors: &mut Vec<FieldError>) {
    if !money::in_bounds(value) {
        errors.push(FieldError::new(
            field,
            format!("must be at most {MAX_AMOUNT}"),
        ));
    }
}

/// Checks an amount of money: greater than 0, at most [`MAX_AMOUNT`], and no finer than the
/// currency's minor unit.
pub fn amount(field: &str, value: Decimal, currency: Currency, errors: &mut Vec<FieldError>) {
    if value <= Decimal::ZERO {
        errors.push(FieldError::new(field, "must be greater than 0"));
    } else {
        bounded(field, value, errors);
        in_minor_units(field, value, currency, errors);
    }
}

/// Checks an amount of money that may be zero (a threshold): 0 to
/// [`MAX_AMOUNT`], and no finer than the currency's minor unit.
pub fn threshold(field: &str, value: Decimal, currency: Currency, errors: &mut Vec<FieldError>) {
    if value < Decimal::ZERO {
        errors.push(FieldError::new(field, "must be 0 or more"));
    } else {
        bounded(field, value, errors);
        in_minor_units(field, value, currency, errors);
    }
}

fn in_minor_units(field: &str, value: Decimal, currency: Currency, errors: &mut Vec<FieldError>) {
    if !currency.fits(value) {
        errors.push(FieldError::new(
            field,
            format!(
                "has more decimals than {} allows ({})",
                currency.code(),
                currency.minor_units()
            ),
        ));
    }
}
