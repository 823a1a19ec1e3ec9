//! The list envelope and its `size`/`page` parameters (SPEC §1).

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::error::ApiError;
use crate::validation::FieldError;

/// `size` (1–100, default 100) and `page` (1-based, default 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Maximum records per page (1–100, default 100).
    #[param(minimum = 1, maximum = 100)]
    pub size: u32,
    /// Target page index, 1-based.
    #[param(minimum = 1)]
    pub page: u32,
}

impl Paging {
    pub const MAX_SIZE: u32 = 100;
    const MAX_PAGE: u32 = 1_000_000;
}

impl<S: Send + Sync> FromRequestParts<S> for Paging {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(query) = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::BadRequest(e.body_text()))?;
        let mut errors = Vec::new();
        let mut number = |name: &str, default: u32, max: u32| match query.get(name) {
            None => default,
            Some(text) => match text.parse::<u32>() {
                Ok(n) if (1..=max).contains(&n) => n,
                _ => {
                    errors.push(FieldError::new(
                        name,
                        format!("must be an integer between 1 and {max}"),
                    ));
                    default
                }
            },
        };
        let paging = Paging {
            size: number("size", Self::MAX_SIZE, Self::MAX_SIZE),
            page: number("page", 1, Self::MAX_PAGE),
        };
        if errors.is_empty() {
            Ok(paging)
        } else {
            Err(ApiError::Validation(errors))
        }
    }
}

/// `{"entities", "count", "per_page", "pages": {"current", "max"}, "elements"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListEnvelope<T> {
    /// The kind of element, e.g. `PartnerGroup`.
    pub entities: String,
    /// Total number of elements across all pages.
    pub count: usize,
    pub per_page: u32,
    pub pages: Pages,
    pub elements: Vec<T>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Pages {
    pub current: u32,
    pub max: u32,
}

impl<T> ListEnvelope<T> {
    /// One page of a collection that was read whole (small collections only).
    pub fn page_of(entities: &str, all: Vec<T>, paging: Paging) -> Self {
        let count = all.len();
        let per_page = paging.size as usize;
        let max = count.div_ceil(per_page).max(1);
        let elements = all
            .into_iter()
            .skip((paging.page as usize - 1).saturating_mul(per_page))
            .take(per_page)
            .collect();
        Self {
            entities: entities.to_string(),
            count,
            per_page: paging.size,
            pages: Pages {
                current: paging.page,
                max: u32::try_from(max).unwrap_or(u32::MAX),
            },
            elements,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_slice_the_collection() {
        let page = ListEnvelope::page_of("N", (1..=7).collect(), Paging { size: 3, page: 3 });
        assert_eq!((page.count, page.pages.max, page.elements), (7, 3, vec![7]));
        let empty = ListEnvelope::page_of("N", Vec::<u8>::new(), Paging { size: 100, page: 1 });
        assert_eq!(
            (empty.count, empty.pages.max, empty.elements.len()),
            (0, 1, 0)
        );
        let beyond = ListEnvelope::page_of("N", (1..=7).collect(), Paging { size: 3, page: 9 });
        assert!(beyond.elements.is_empty());
    }
}
