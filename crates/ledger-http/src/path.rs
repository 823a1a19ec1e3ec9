//! Resource ids in paths. API Gateway and axum cannot match `{id}.json`, so
//! routes capture the whole last segment and [`JsonId`] strips `.json`;
//! action routes (`/{id}/approve.json`) take the bare segment as [`PathId`].

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;

use super::error::ApiError;
use ledger_core::model::Id;

/// The `{id}` of `/.../{id}.json`. Anything that is not a well-formed id
/// cannot name an object, so it is a 404 like any other unknown id.
pub struct JsonId(pub Id);

impl<S: Send + Sync> FromRequestParts<S> for JsonId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(segment) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound("resource"))?;
        segment
            .strip_suffix(".json")
            .and_then(Id::parse)
            .map(JsonId)
            .ok_or(ApiError::NotFound("resource"))
    }
}

/// The `{id}` segment of an action route such as `/.../{id}/approve.json`.
pub struct PathId(pub Id);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(segment) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound("resource"))?;
        Id::parse(&segment)
            .map(PathId)
            .ok_or(ApiError::NotFound("resource"))
    }
}
