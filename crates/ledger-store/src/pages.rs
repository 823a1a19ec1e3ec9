//! Cursor-paged reads of large lists (partners, referrals, ...).
//!
//! A page is one Query that starts after the last id the client saw, so a
//! deep page costs what the first one does. A filter narrows an index
//! partition further; the read then continues until the page is full.

use aws_sdk_dynamodb::types::Select;

use super::keys::Continuation;
use super::{Condition, Entity, Item, Listing, Store, StoreError, Tally, Walk};
use ledger_core::model::Id;

/// The most items a counting Query reads for one list request: ten
/// requests of [`COUNT_PAGE`].
pub const MAX_COUNTED: u64 = 10_000;
const COUNT_PAGE: i32 = 1_000;

/// What to read from a listing.
#[derive(Clone, Debug)]
pub struct PageRequest<'a> {
    /// Start after this item (a cursor); `None` starts at the beginning.
    pub after: Option<&'a Id>,
    /// Items to pass over first: `page` without a cursor.
    pub skip: usize,
    /// Items on the page.
    pub limit: usize,
    /// Only items meeting this condition count.
    pub filter: Option<Condition>,
}

/// A filtered view of a list: where it is read, the filter that narrows it
/// further, and the tally that counts it, if one does.
pub struct FilteredList {
    pub listing: Listing,
    pub filter: Option<Condition>,
    /// `None` when no tally counts this view: it is counted by a Query.
    pub tally: Option<Tally>,
}

/// One page of a walk, and where the next one starts (`None`: the end).
#[derive(Debug)]
pub struct WalkPage {
    pub items: Vec<Item>,
    pub next: Option<Item>,
}

/// One page of items (or of the entities they hold), oldest first.
#[derive(Debug)]
pub struct Page<T = Item> {
    pub items: Vec<T>,
    /// Whether items follow this page.
    pub more: bool,
}

impl Page {
    /// The page's items read as `E`s.
    pub fn entities<E: Entity>(self) -> Result<Page<E>, StoreError> {
        Ok(Page {
            items: self
                .items
                .into_iter()
                .map(E::from_item)
                .collect::<Result<_, _>>()?,
            more: self.more,
        })
    }
}

impl Store {
    /// Reads one page. Index reads are eventually consistent (DynamoDB offers
    /// nothing else on a GSI); table reads are strongly consistent.
    pub async fn page(
        &self,
        listing: &Listing,
        request: PageRequest<'_>,
    ) -> Result<Page, StoreError> {
        let (key_condition, key_values) = listing.key_condition();
        let wanted = request.skip + request.limit + 1;
        let (filter, filter_values, filter_names) = match request.filter {
            Some(filter) => {
                let parts = filter.into_parts();
                (Some(parts.expression), parts.values, Some(parts.names))
            }
            None => (None, Default::default(), None),
        };
        let mut items: Vec<Item> = Vec::with_capacity(wanted.min(101));
        let mut start = match request.after.map(|id| listing.continue_after(id)) {
            None | Some(Continuation::FromStart) => None,
            Some(Continuation::After(key)) => Some(key),
            Some(Continuation::Exhausted) => {
                return Ok(Page {
                    items: Vec::new(),
                    more: false,
                });
            }
        };
        loop {
            let query = self
                .client()
                .query()
                .table_name(self.table())
                .set_index_name(listing.index().map(|i| i.name().to_string()))
                .key_condition_expression(key_condition.clone())
                .set_filter_expression(filter.clone())
                .set_expression_attribute_names(filter_names.clone().filter(|n| !n.is_empty()))
                .set_expression_attribute_values(Some({
                    let mut values = filter_values.clone();
                    values.extend(key_values.clone());
                    values
                }))
                .consistent_read(listing.index().is_none())
                .limit(i32::try_from(wanted - items.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start);
            let output = query.send().await.map_err(StoreError::dynamo)?;
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            if items.len() >= wanted || start.is_none() {
                break;
            }
        }
        let more = items.len() >= wanted;
        let items = items
            .into_iter()
            .skip(request.skip)
            .take(request.limit)
            .collect();
        Ok(Page { items, more })
    }

    /// How many items of `listing` meet `filter`: a counting Query, for lists
    /// no tally counts. It reads at most [`MAX_COUNTED`] items, so a request
    /// never scans a whole partition: past that, the count is of the matches
    /// among the first [`MAX_COUNTED`] (README: list counts).
    pub async fn count(
        &self,
        listing: &Listing,
        filter: Option<Condition>,
    ) -> Result<u64, StoreError> {
        let (key_condition, mut values) = listing.key_condition();
        let mut names = None;
        let filter = filter.map(|f| {
            let parts = f.into_parts();
            values.extend(parts.values);
            names = Some(parts.names).filter(|n| !n.is_empty());
            parts.expression
        });
        let (mut count, mut read) = (0u64, 0u64);
        let mut start = None;
        loop {
            let output = self
                .client()
                .query()
                .table_name(self.table())
                .set_index_name(listing.index().map(|i| i.name().to_string()))
                .key_condition_expression(key_condition.clone())
                .set_filter_expression(filter.clone())
                .set_expression_attribute_names(names.clone())
                .set_expression_attribute_values(Some(values.clone()))
                .select(Select::Count)
                .consistent_read(listing.index().is_none())
                .limit(COUNT_PAGE)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(StoreError::dynamo)?;
            count += u64::try_from(output.count).unwrap_or(0);
            read += u64::try_from(output.scanned_count).unwrap_or(0);
            start = output.last_evaluated_key;
            if start.is_none() || read >= MAX_COUNTED {
                return Ok(count);
            }
        }
    }

    /// One page of `list` in `account` and how many items the list holds,
    /// read side by side: its tally, or (for views no tally counts) a
    /// counting Query. For a caller verified already; an API key's check
    /// reads the tally with the key instead.
    pub async fn counted_page(
        &self,
        account: &Id,
        list: &FilteredList,
        request: PageRequest<'_>,
    ) -> Result<(Page, u64), StoreError> {
        let request = PageRequest {
            filter: list.filter.clone(),
            ..request
        };
        match &list.tally {
            Some(tally) => {
                let count = super::tallies::of(account, tally);
                let (page, members) =
                    tokio::try_join!(self.page(&list.listing, request), self.read(&count))?;
                Ok((page, members.0))
            }
            None => tokio::try_join!(
                self.page(&list.listing, request),
                self.count(&list.listing, list.filter.clone()),
            ),
        }
    }

    /// Reads one page (up to DynamoDB's 1 MB) of `walk` from `start`.
    pub async fn walk(&self, walk: &Walk, start: Option<Item>) -> Result<WalkPage, StoreError> {
        let output = self
            .client()
            .query()
            .table_name(self.table())
            .index_name(walk.index.name())
            .key_condition_expression(walk.key_condition.clone())
            .set_expression_attribute_values(Some(walk.values.clone()))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(StoreError::dynamo)?;
        Ok(WalkPage {
            items: output.items.unwrap_or_default(),
            next: output.last_evaluated_key,
        })
    }
}
