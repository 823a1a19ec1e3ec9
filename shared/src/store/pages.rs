//! Cursor-paged reads of large lists (partners, referrals, ...).
//!
//! A page is one Query that starts after the last id the client saw, so a
//! deep page costs what the first one does. A filter narrows an index
//! partition further; the read then continues until the page is full.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{Condition, Item, Listing, Store, StoreError};
use crate::model::Id;

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

/// One page of items, oldest first.
#[derive(Debug)]
pub struct Page {
    pub items: Vec<Item>,
    /// Whether items follow this page.
    pub more: bool,
}

impl Store {
    /// Reads one page. Index reads are eventually consistent (DynamoDB offers
    /// nothing else on a GSI); table reads are strongly consistent.
    pub async fn page(
        &self,
        listing: &Listing,
        request: PageRequest<'_>,
    ) -> Result<Page, StoreError> {
        let (pk_name, pk, sk_name, prefix) = listing.condition();
        let wanted = request.skip + request.limit + 1;
        let (filter, filter_values) = match request.filter {
            Some(filter) => {
                let (expression, values) = filter.into_parts();
                (Some(expression), values)
            }
            None => (None, Default::default()),
        };
        let mut items: Vec<Item> = Vec::with_capacity(wanted.min(101));
        let mut start = request.after.map(|id| listing.start_after(id));
        loop {
            let query = self
                .client()
                .query()
                .table_name(self.table())
                .set_index_name(listing.index().map(|i| i.name().to_string()))
                .key_condition_expression(format!(
                    "{pk_name} = :partition AND begins_with({sk_name}, :prefix)"
                ))
                .set_filter_expression(filter.clone())
                .set_expression_attribute_values(Some({
                    let mut values = filter_values.clone();
                    values.insert(":partition".into(), AttributeValue::S(pk.clone()));
                    values.insert(":prefix".into(), AttributeValue::S(prefix.to_string()));
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
}
