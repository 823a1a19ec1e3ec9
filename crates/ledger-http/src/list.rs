//! The list envelope and its parameters (SPEC §1): `size`/`page` for every
//! list, plus the opaque `cursor` of collections that can grow large.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::error::ApiError;
use ledger_core::model::Id;
use ledger_core::validation::FieldError;
use ledger_store::PageRequest;

/// `size` (1–100, default 100) and `page` (1-based, default 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Maximum records per page (1–100, default 100).
    #[param(minimum = 1, maximum = 100, required = false)]
    pub size: u32,
    /// Target page index, 1-based (default 1).
    #[param(minimum = 1, required = false)]
    pub page: u32,
}

impl Paging {
    pub const MAX_SIZE: u32 = 100;
    const MAX_PAGE: u32 = 1_000_000;
}

impl<S: Send + Sync> FromRequestParts<S> for Paging {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Self::read(&query_of(parts)?)
    }
}

fn query_of(parts: &Parts) -> Result<HashMap<String, String>, ApiError> {
    Query::<HashMap<String, String>>::try_from_uri(&parts.uri)
        .map(|Query(query)| query)
        .map_err(|e| ApiError::BadRequest(e.body_text()))
}

impl Paging {
    fn read(query: &HashMap<String, String>) -> Result<Self, ApiError> {
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

/// `size`, `page` and `cursor` of a collection that can grow large.
///
/// Following `pages.next_cursor` costs the same on every page. `page`
/// without a cursor reads past the earlier pages, so it only reaches
/// [`CursorPaging::MAX_SKIPPED`] items deep.
#[derive(Clone, Debug, PartialEq, Eq, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CursorPaging {
    /// Maximum records per page (1–100, default 100).
    #[param(minimum = 1, maximum = 100, required = false)]
    pub size: u32,
    /// Target page index, 1-based (default 1). Ignored when `cursor` is given.
    #[param(minimum = 1, required = false)]
    pub page: u32,
    /// `pages.next_cursor` of the previous page.
    #[param(value_type = Option<String>)]
    pub cursor: Option<Cursor>,
    /// The list this request reads: its path and filters, which a cursor
    /// must have come from.
    #[param(ignore)]
    pub list: ListId,
}

/// A list's identity: a digest of its path and of every query parameter
/// but the paging ones. A cursor carries the one it was issued for, so a
/// cursor from another list, or other filters, is refused (422) instead of
/// steering the read outside the list's key range.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListId(u32);

impl ListId {
    fn of(parts: &Parts, query: &HashMap<String, String>) -> Self {
        let mut filters: Vec<(&String, &String)> = query
            .iter()
            .filter(|(name, _)| !matches!(name.as_str(), "cursor" | "page" | "size"))
            .collect();
        filters.sort();
        let mut digest = Sha256::new();
        digest.update(parts.uri.path());
        for (name, value) in filters {
            digest.update([0]);
            digest.update(name);
            digest.update([0]);
            digest.update(value);
        }
        let bytes = digest.finalize();
        Self(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }
}

/// Where the next page starts: an opaque token to clients.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// The number of the page it leads to.
    pub page: u32,
    /// The last element of the page before.
    pub after: Id,
    /// The list it continues.
    pub list: ListId,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}:{:08x}", self.page, self.after, self.list.0))
    }

    pub fn decode(text: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let mut parts = text.split(':');
        let cursor = Self {
            page: parts.next()?.parse().ok().filter(|p| *p >= 1)?,
            after: Id::parse(parts.next()?)?,
            list: ListId(u32::from_str_radix(parts.next()?, 16).ok()?),
        };
        parts.next().is_none().then_some(cursor)
    }
}

impl CursorPaging {
    /// The deepest `page` reaches without a cursor, in items.
    pub const MAX_SKIPPED: usize = 10_000;

    /// Items to pass over before the page: none when a cursor says where to start.
    pub fn skip(&self) -> usize {
        match self.cursor {
            Some(_) => 0,
            None => (self.page as usize - 1) * self.size as usize,
        }
    }

    /// The page number this request reads.
    pub fn current(&self) -> u32 {
        self.cursor.as_ref().map_or(self.page, |c| c.page)
    }

    pub fn after(&self) -> Option<&Id> {
        self.cursor.as_ref().map(|c| &c.after)
    }

    /// The store read this page needs, unfiltered.
    pub fn request(&self) -> PageRequest<'_> {
        PageRequest {
            after: self.after(),
            skip: self.skip(),
            limit: self.size as usize,
            filter: None,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CursorPaging {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = query_of(parts)?;
        let Paging { size, page } = Paging::read(&query)?;
        let list = ListId::of(parts, &query);
        let cursor = match query.get("cursor") {
            None => None,
            Some(text) => Some(
                Cursor::decode(text)
                    .filter(|cursor| cursor.list == list)
                    .ok_or_else(|| {
                        ApiError::validation("cursor", "is not a cursor this list returned")
                    })?,
            ),
        };
        let paging = Self {
            size,
            page,
            cursor,
            list,
        };
        if paging.skip() > Self::MAX_SKIPPED {
            return Err(ApiError::validation(
                "page",
                format!(
                    "reaches past {} items; follow pages.next_cursor to go deeper",
                    Self::MAX_SKIPPED
                ),
            ));
        }
        Ok(paging)
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
    /// Present when more elements follow: pass it as `cursor` for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
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
                next_cursor: None,
            },
            elements,
        }
    }

    /// One page read with a cursor. `count` comes from the list's tally;
    /// `last` is the page's last element when more follow.
    pub fn cursor_page(
        entities: &str,
        elements: Vec<T>,
        count: u64,
        paging: &CursorPaging,
        last: Option<&Id>,
    ) -> Self {
        let max = count.div_ceil(u64::from(paging.size)).max(1);
        let current = paging.current();
        Self {
            entities: entities.to_string(),
            count: usize::try_from(count).unwrap_or(usize::MAX),
            per_page: paging.size,
            pages: Pages {
                current,
                max: u32::try_from(max).unwrap_or(u32::MAX),
                next_cursor: last.map(|after| {
                    Cursor {
                        page: current.saturating_add(1),
                        after: after.clone(),
                        list: paging.list,
                    }
                    .encode()
                }),
            },
            elements,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_forgeries() {
        let cursor = Cursor {
            page: 3,
            after: Id::parse("68f76721000000000000000a").unwrap(),
            list: ListId(0xdead_beef),
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        let unbound = URL_SAFE_NO_PAD.encode("3:68f76721000000000000000a");
        let trailing = URL_SAFE_NO_PAD.encode("3:68f76721000000000000000a:deadbeef:1");
        for forged in [
            "",
            "!!",
            "MzoxMjM",
            "MDo2OGY3NjcyMTAwMDAwMDAwMDAwMDAwMGE",
            &unbound,
            &trailing,
        ] {
            assert_eq!(Cursor::decode(forged), None, "{forged}");
        }
    }

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
