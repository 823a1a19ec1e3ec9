//! Resource ids in paths. API Gateway and axum cannot match `{id}.json`, so
//! routes capture the whole last segment and this extractor strips `.json`.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;

use super::error::ApiError;
use crate::model::Id;

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
