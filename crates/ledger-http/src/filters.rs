//! List filters from the query string (`?partner_id=...&status=...`), with
//! the error envelope instead of axum's plain-text rejection, naming the
//! offending parameter.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// A route's filter parameters. `T` must tolerate the paging parameters
/// (`size`, `page`, `cursor`) that share the query string: no `deny_unknown_fields`.
pub struct Filters<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Filters<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|Query(filters)| Filters(filters))
            .map_err(|e| {
                let detail = e.body_text();
                let detail = detail
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&detail);
                match detail.split_once(": ") {
                    Some((parameter, message)) if is_parameter(parameter) => {
                        ApiError::validation(parameter, message)
                    }
                    _ => ApiError::validation("query", detail),
                }
            })
    }
}

/// Whether the start of a rejection is the name of the parameter it is
/// about (`status: unknown variant ...`), not part of a sentence.
fn is_parameter(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}
