//! Payout items and the writes that open, fill and settle them.
//!
//! A payout sits in the account's list (table), its partner's list (gsi1),
//! its status's list (gsi2) and its period's list (gsi3); its commissions
//! sit in its own gsi4 partition. Its amount and payment count only change
//! together with the commissions they count, in one transaction, so a
//! payout always equals the sum of what it holds.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::{
    Condition, Entity, FilteredList, IndexEntry, Item, Key, Listing, PageRequest, Ref, Store,
    StoreError, Tally, commissions, decode, encode, timestamp,
};
use ledger_core::model::{Id, Payout, PayoutState, Period};

const ENTITY: &str = "payout";

pub fn from_item(item: Item) -> Result<Payout, StoreError> {
    decode(item)
}

impl Entity for Payout {
    const NAME: &'static str = "payout";

    fn from_item(item: Item) -> Result<Self, StoreError> {
        from_item(item)
    }
}

/// The payout `id` of `account`.
pub fn at(account: &Id, id: &Id) -> Ref<Payout> {
    Ref::new(Key::payout(account, id))
}

fn to_item(account: &Id, payout: &Payout) -> Result<Item, StoreError> {
    let mut item = encode(&Key::payout(account, &payout.id), ENTITY, payout)?;
    for entry in [
        IndexEntry::payout_by_partner(account, &payout.partner_id, &payout.id),
        status_entry(account, payout.status, &payout.id),
        IndexEntry::payout_by_period(account, &payout.period.to_string(), &payout.id),
    ] {
        item.extend(
            entry
                .attributes()
                .map(|(name, value)| (name.to_string(), value)),
        );
    }
    Ok(item)
}

fn status_entry(account: &Id, status: PayoutState, payout: &Id) -> IndexEntry {
    IndexEntry::payout_by_status(account, status.as_str(), payout)
}

/// The payout must be in `status` (read through its gsi2 partition, as
/// `status` is a reserved word in expressions).
fn in_status(account: &Id, status: PayoutState) -> Condition {
    Condition::new("gsi2pk = :payout_status").value(
        ":payout_status",
        AttributeValue::S(IndexEntry::payout_status_partition(
            account,
            status.as_str(),
        )),
    )
}

/// Creates `payout` (already holding its first commissions' sum and
/// count), provided its slot is still free. The transaction also adds one
/// to each of [`lists`]`(payout)`.
pub fn open(store: &Store, account: &Id, payout: &Payout) -> Result<TransactWriteItem, StoreError> {
    store.put(to_item(account, payout)?, Condition::absent())
}

/// The lists a payout is counted in.
pub fn lists(payout: &Payout) -> [Tally; 2] {
    [
        Tally::payouts(None),
        Tally::payouts(Some(&payout.partner_id)),
    ]
}

/// Adds `amount` and `count` commissions to the pending payout `before`,
/// provided it still is what was read.
pub fn extend(
    store: &Store,
    account: &Id,
    before: &Payout,
    amount: Decimal,
    count: u32,
    at: DateTime<Utc>,
) -> Result<TransactWriteItem, StoreError> {
    let unchanged = Condition::new("amount = :before_amount AND payment_count = :before_count")
        .value(
            ":before_amount",
            AttributeValue::S(before.amount.to_string()),
        )
        .value(
            ":before_count",
            AttributeValue::N(before.payment_count.to_string()),
        );
    store.update(
        &Key::payout(account, &before.id),
        "SET amount = :amount, payment_count = :count, updated_at = :at",
        [
            (
                ":amount",
                AttributeValue::S((before.amount + amount).to_string()),
            ),
            (
                ":count",
                AttributeValue::N((before.payment_count + count).to_string()),
            ),
            (":at", timestamp(at)?),
        ],
        unchanged.and(in_status(account, PayoutState::Pending)),
    )
}

/// Writes the settlement of `after`, provided the payout is still pending.
pub fn settle(
    store: &Store,
    account: &Id,
    before: &Payout,
    after: &Payout,
) -> Result<TransactWriteItem, StoreError> {
    let mut item = to_item(account, after)?;
    item.retain(|name, _| {
        [
            "status",
            "status_updated_at",
            "updated_at",
            "gsi2pk",
            "gsi2sk",
        ]
        .contains(&name.as_str())
    });
    store.assign(
        &Key::payout(account, &after.id),
        item,
        in_status(account, PayoutState::Pending).and(
            Condition::new("updated_at = :read_updated_at")
                .value(":read_updated_at", timestamp(before.updated_at)?),
        ),
    )
}

/// Transactions tried per chunk of a release before it answers an error
/// (marking the payout failed again finishes it).
const RELEASE_ATTEMPTS: usize = 6;

/// Reads of the payout's index partition a release makes, waiting between
/// them, while the index still hides commissions the payout holds.
const RELEASE_READS: u32 = 6;

/// The payout attribute counting the commissions released from it.
const RELEASED: &str = "released_count";

/// Hands every commission of the failed payout `payout` back to the
/// payable ones, for the next run; answers how many it released.
///
/// The commissions are found through the payout's gsi4 partition, which
/// lags the table (GSIs are eventually consistent): it may still list a
/// commission released a moment ago, and may not list one the payout took
/// a moment ago. So the payout counts what it gave back (`released_count`,
/// raised in the same transaction as each release, which is conditional on
/// the commission still being in this payout), and the release reads the
/// index again, with backoff, until that count reaches the payout's
/// `payment_count` as read from the table. No commission stays `paid` in a
/// failed payout; a release whose index lags past its reads answers an
/// error, and marking the payout failed again finishes it.
pub async fn release(
    store: &Store,
    account: &Id,
    payout: &Payout,
    at: DateTime<Utc>,
) -> Result<u32, StoreError> {
    let key = Key::payout(account, &payout.id);
    let listing = Listing::commissions_of_payout(account, &payout.id);
    let mut released = 0;
    for round in 0..RELEASE_READS {
        let counted = store
            .get(&key)
            .await?
            .map(|item| released_count(&item))
            .transpose()?
            .unwrap_or_default();
        if counted >= payout.payment_count {
            return Ok(released);
        }
        if round > 0 {
            tokio::time::sleep(super::backoff(round + 3)).await;
        }
        let held = still_listed(store, &listing).await?;
        for chunk in held.chunks(MAX_RELEASE_CHUNK) {
            let written = store
                .transact_holding_counted(
                    chunk,
                    RELEASE_ATTEMPTS,
                    |id| commissions::release(store, account, id, &payout.id, at),
                    |n| count_released(store, account, &payout.id, n),
                )
                .await?;
            released += u32::try_from(written.len()).unwrap_or(u32::MAX);
        }
    }
    Err(StoreError::Dynamo(format!(
        "payout {}: the index still hides commissions after {RELEASE_READS} reads; mark it failed again",
        payout.id
    )))
}

/// Commissions per release transaction: 99, and the payout's count.
const MAX_RELEASE_CHUNK: usize = 99;

/// The ids the payout's gsi4 partition lists now.
async fn still_listed(store: &Store, listing: &Listing) -> Result<Vec<Id>, StoreError> {
    let mut held = Vec::new();
    loop {
        let page = store
            .page(
                listing,
                PageRequest {
                    after: held.last(),
                    skip: 0,
                    limit: 100,
                    filter: None,
                },
            )
            .await?;
        for item in page.items {
            held.push(commissions::Payable::from_index_item(item)?.id);
        }
        if !page.more {
            return Ok(held);
        }
    }
}

fn released_count(item: &Item) -> Result<u32, StoreError> {
    match item.get(RELEASED) {
        None => Ok(0),
        Some(AttributeValue::N(n)) => n
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("{RELEASED} {n:?}"))),
        Some(other) => Err(StoreError::Corrupt(format!("{RELEASED} {other:?}"))),
    }
}

/// Raises the failed payout's `released_count` by `n`.
fn count_released(
    store: &Store,
    account: &Id,
    payout: &Id,
    n: usize,
) -> Result<TransactWriteItem, StoreError> {
    store.update(
        &Key::payout(account, payout),
        &format!("ADD {RELEASED} :released"),
        [(":released", AttributeValue::N(n.to_string()))],
        in_status(account, PayoutState::Failed),
    )
}

/// What a list of payouts is narrowed by.
#[derive(Clone, Debug, Default)]
pub struct PayoutFilter {
    pub partner: Option<Id>,
    pub status: Option<PayoutState>,
    pub period: Option<Period>,
}

/// The payouts `filter` selects: the partner's list, else the period's,
/// else the status's, else the account's carries the read, and the other
/// criteria filter it.
pub fn list(account: &Id, filter: &PayoutFilter) -> FilteredList {
    let mut conditions = Vec::new();
    let period = filter.period.map(|p| p.to_string());
    let listing = match (&filter.partner, &period, filter.status) {
        (Some(partner), _, _) => {
            if let Some(period) = &period {
                let partition = IndexEntry::payout_period_partition(account, period);
                conditions.push(
                    Condition::new("gsi3pk = :period")
                        .value(":period", AttributeValue::S(partition)),
                );
            }
            Listing::payouts_of_partner(account, partner)
        }
        (None, Some(period), _) => Listing::payouts_in_period(account, period),
        (None, None, Some(status)) => Listing::payouts_with_status(account, status.as_str()),
        (None, None, None) => Listing::payouts(account),
    };
    if let Some(status) = filter.status
        && (filter.partner.is_some() || period.is_some())
    {
        conditions.push(in_status(account, status));
    }
    let tally = (filter.status.is_none() && period.is_none())
        .then(|| Tally::payouts(filter.partner.as_ref()));
    FilteredList {
        listing,
        filter: conditions.into_iter().reduce(Condition::and),
        tally,
    }
}
