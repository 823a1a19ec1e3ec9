//! Commission items and the transactions that create and decide them.
//!
//! A commission sits in the account's list (table), its partner's list
//! (gsi1), its status's list (gsi2) and, for a sale, its referral's list
//! (gsi3). Its idempotency keys (`event_id`, `stripe_payment_id`) are
//! unique-value items claimed in the transaction that creates it, together
//! with the partner's statistics and the referral's paid-charge count, so a
//! payment is counted once or not at all.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::events::Stage;
use super::partner_stats::{self, Shards};
use super::unique::Claim;
use super::{
    Changes, Condition, Entity, FilteredList, IndexEntry, Item, Key, Listing,
    MAX_TRANSACTION_ITEMS, Ref, Store, StoreError, Tally, UniqueValue, decode, encode, events,
    tallies, timestamp, unique,
};
use ledger_core::engine::FiguresRead;
use ledger_core::model::{
    Commission, CommissionStatus, Event, Id, Partner, PayoutStatus, Referral, Reversed, RewardUnit,
};
use ledger_core::money::Currency;

const ENTITY: &str = "commission";

pub fn from_item(item: Item) -> Result<Commission, StoreError> {
    decode(item)
}

impl Entity for Commission {
    const NAME: &'static str = "commission";

    fn from_item(item: Item) -> Result<Self, StoreError> {
        from_item(item)
    }
}

/// The commission `id` of `account`.
pub fn at(account: &Id, id: &Id) -> Ref<Commission> {
    Ref::new(Key::commission(account, id))
}

/// The item that stores `commission`, with its index entries: what every
/// write of a whole commission puts (and tools that load many at once).
pub fn to_item(account: &Id, commission: &Commission) -> Result<Item, StoreError> {
    let mut item = encode(
        &Key::commission(account, &commission.id),
        ENTITY,
        commission,
    )?;
    let payable = payable_entry(account, commission);
    item.insert(PAYABLE_PK.into(), AttributeValue::S(payable.pk.clone()));
    item.insert(PAYABLE_SK.into(), AttributeValue::S(payable.sk.clone()));
    let mut entries = vec![
        IndexEntry::commission_by_partner(account, &commission.partner_id, &commission.id),
        status_entry(account, commission.status, &commission.id),
    ];
    match (&commission.payout_id, commission.status) {
        (Some(payout), _) => entries.push(IndexEntry::commission_in_payout(
            account,
            payout,
            &commission.id,
        )),
        (None, CommissionStatus::Approved) if commission.payout_status == PayoutStatus::NotPaid => {
            entries.push(payable)
        }
        (None, _) => {}
    }
    if let Some(referral) = &commission.referral_id {
        entries.push(IndexEntry::commission_by_referral(
            account,
            referral,
            &commission.id,
        ));
    }
    for entry in entries {
        item.extend(
            entry
                .attributes()
                .map(|(name, value)| (name.to_string(), value)),
        );
    }
    Ok(item)
}

/// Where the commission goes once approved: among the payable ones when it
/// is cash, else among those to fulfil. Every commission carries the keys
/// (`payable_pk`, `payable_sk`), so approving one can put it there with an
/// update that reads nothing first (`SET gsi4pk = payable_pk, ...`).
fn payable_entry(account: &Id, commission: &Commission) -> IndexEntry {
    if commission.unit.is_cash() {
        IndexEntry::payable_commission(
            account,
            &commission.partner_id,
            commission.currency.code(),
            &commission.id,
        )
    } else {
        IndexEntry::commission_to_fulfil(
            account,
            &commission.partner_id,
            commission.unit.as_str(),
            &commission.id,
        )
    }
}

const PAYABLE_PK: &str = "payable_pk";
const PAYABLE_SK: &str = "payable_sk";
const GSI4: [&str; 2] = ["gsi4pk", "gsi4sk"];

fn status_entry(account: &Id, status: CommissionStatus, commission: &Id) -> IndexEntry {
    IndexEntry::commission_by_status(account, status.as_str(), commission)
}

/// The commission must be in `status`. Conditions and filters read the
/// status through its index partition (`status` is a reserved word in
/// DynamoDB expressions).
fn in_status(account: &Id, status: CommissionStatus, placeholder: &str) -> Condition {
    let partition = IndexEntry::commission_status_partition(account, status.as_str());
    Condition::new(format!("gsi2pk = {placeholder}"))
        .value(placeholder, AttributeValue::S(partition))
}

/// The idempotency keys a commission (or its create request) claims: its
/// billing event and its Stripe payment, when it has them.
pub fn idempotency_keys<'a>(
    event_id: Option<&'a str>,
    stripe_payment_id: Option<&'a str>,
) -> Vec<UniqueValue<'a>> {
    event_id
        .map(UniqueValue::Event)
        .into_iter()
        .chain(stripe_payment_id.map(UniqueValue::StripePayment))
        .collect()
}

/// What the partner's and the referral's figures were when a sale was
/// priced: the transaction only commits while they still are, so pricing
/// and counting always see every earlier payment exactly once.
#[derive(Clone, Copy, Debug)]
pub struct SaleFacts<'a> {
    pub referral: &'a Referral,
    /// The partner's group, when it (not the campaign) priced the sale.
    pub priced_by_group: Option<&'a Id>,
    /// What pricing read of the partner's figures, when the rules priced
    /// the sale: the ranges they may have moved in since without changing
    /// the price.
    pub figures_read: Option<FiguresRead>,
    /// The customer claim that routed the sale, when its group hint is stale.
    pub stale_route: Option<&'a Ref<Claim>>,
    /// What each shard of the partner's statistics held when pricing read them.
    pub statistics: &'a Shards,
}

/// Creates `commission` for `partner` (as read), claiming its idempotency
/// keys and adding the payment to the partner's statistics and, for a sale,
/// to the referral's paid charges; `events` (its creation's) are written
/// with it.
pub async fn create(
    store: &Store,
    account: &Id,
    commission: &Commission,
    partner: &Partner,
    sale: Option<SaleFacts<'_>>,
    events: &[Event],
) -> Result<(), StoreError> {
    let claim = Claim {
        holder: commission.id.clone(),
        fingerprint: Some(commission.fingerprint.clone()),
        sale_route: None,
    };
    let mut writes = Vec::new();
    let keys = idempotency_keys(
        commission.event_id.as_deref(),
        commission.stripe_payment_id.as_deref(),
    );
    for value in keys {
        writes.push(unique::claim_as(store, account, value, &claim)?);
    }
    writes.push(store.put(to_item(account, commission)?, Condition::absent())?);
    writes.extend(credit_partner(store, account, commission, partner, sale)?);
    let mut lists = vec![
        Tally::commissions(None, None),
        Tally::commissions(Some(&partner.id), None),
    ];
    if let Some(sale) = sale {
        writes.push(count_charge(
            store,
            account,
            commission,
            &partner.group_id,
            sale,
        )?);
        lists.push(Tally::commissions(None, Some(&sale.referral.id)));
        if let Some(claim) = sale.stale_route {
            writes.push(refresh_route(
                store,
                claim,
                &sale.referral.id,
                &partner.group_id,
            )?);
        }
    }
    writes.extend(tallies::add(store, account, &lists, &commission.id, 1)?);
    writes.extend(events::writes(store, account, events)?);
    store.transact(writes).await
}

fn number(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// Adds the commission (and a sale's payment and new customer) to the
/// partner's statistics, provided the partner may still earn and, when the
/// rules priced the sale from them, the partner's group and figures are
/// still those it was priced with.
fn credit_partner(
    store: &Store,
    account: &Id,
    commission: &Commission,
    partner: &Partner,
    sale: Option<SaleFacts<'_>>,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let credit = partner_stats::Credit {
        commission: &commission.id,
        unit: commission.unit,
        amount: commission.amount,
        sale_amount: commission.sale_amount.unwrap_or(Decimal::ZERO),
        new_customer: sale.is_some_and(|s| s.referral.paid_charges == 0),
    };
    let priced = partner_stats::Priced {
        by_group: sale.and_then(|s| s.priced_by_group),
        figures: sale.and_then(|s| Some((s.figures_read?, s.statistics))),
    };
    partner_stats::credit(store, account, &partner.id, &credit, priced)
}

/// Counts the sale as the referral's next paid charge (the first one also
/// acquires the customer), provided no other charge was counted since the
/// referral was read. Refreshes the referral's hint of the partner's group
/// when the partner has moved.
fn count_charge(
    store: &Store,
    account: &Id,
    commission: &Commission,
    partner_group: &Id,
    sale: SaleFacts<'_>,
) -> Result<TransactWriteItem, StoreError> {
    let seen = sale.referral.paid_charges;
    let condition = if seen == 0 {
        Condition::new("attribute_not_exists(paid_charges) OR paid_charges = :seen")
    } else {
        Condition::new("paid_charges = :seen")
    }
    .value(":seen", number(seen));
    let mut sets = Vec::new();
    let mut values = vec![(":one", number(1))];
    if sale.referral.partner_group_id.as_ref() != Some(partner_group) {
        sets.push("partner_group_id = :group");
        values.push((":group", AttributeValue::S(partner_group.to_string())));
    }
    if seen == 0 {
        sets.push("acquired_at = :acquired");
        values.push((":acquired", timestamp(commission.occurred_at)?));
    }
    let set = if sets.is_empty() {
        String::new()
    } else {
        format!("SET {} ", sets.join(", "))
    };
    store.update(
        &Key::referral(account, &sale.referral.id),
        &format!("{set}ADD paid_charges :one"),
        values,
        condition.and(Condition::present()),
    )
}

/// Points the customer claim `claim` (still the referral's) at the
/// partner's current group.
fn refresh_route(
    store: &Store,
    claim: &Ref<Claim>,
    referral: &Id,
    partner_group: &Id,
) -> Result<TransactWriteItem, StoreError> {
    store.update(
        claim.key(),
        "SET sale_route.partner_group_id = :group",
        [(":group", AttributeValue::S(partner_group.to_string()))],
        Condition::new("holder = :referral")
            .value(":referral", AttributeValue::S(referral.to_string())),
    )
}

/// Writes what a refund or dispute did (`reversed`) to the commission
/// `before`, and the clawback or reinstatement it created, claiming the refund's idempotency keys (with
/// the refund report's `fingerprint`) for the commission the refund changed
/// (or the clawback). The commission must
/// still be as refunded and as paid as it was read, so concurrent refunds
/// apply one after the other and a payout cannot take it meanwhile. The
/// partner's statistics lose what the refund took back.
pub async fn reverse(
    store: &Store,
    account: &Id,
    before: &Commission,
    reversed: &Reversed,
    keys: &[UniqueValue<'_>],
    fingerprint: &str,
    events: &[Event],
) -> Result<(), StoreError> {
    let after = &reversed.commission;
    let changed = reversed.clawback.as_ref().unwrap_or(after);
    let claim = Claim {
        holder: changed.id.clone(),
        fingerprint: Some(fingerprint.to_string()),
        sale_route: None,
    };
    let mut writes = Vec::new();
    for value in keys {
        writes.push(unique::claim_as(store, account, *value, &claim)?);
    }
    let mut item = to_item(account, after)?;
    let mut changes = vec![
        "amount",
        "earned_amount",
        "refunded_amount",
        "refunded_by_total",
        "refunded_by_parts",
        "disputed_amount",
        "updated_at",
    ];
    if after.status != before.status {
        changes.extend(["status", "status_updated_at", "gsi2pk", "gsi2sk"]);
    }
    item.retain(|name, _| changes.contains(&name.as_str()));
    let as_before = as_read("refunded_amount", before.refunded_amount)
        .and(as_read("refunded_by_total", before.refunded_by_total))
        .and(as_read("refunded_by_parts", before.refunded_by_parts))
        .and(as_read("disputed_amount", before.disputed_amount));
    let paid = Condition::new("payout_status = :payout").value(
        ":payout",
        AttributeValue::S(before.payout_status.as_str().into()),
    );
    let mut changes = Changes::set(item);
    if after.status == CommissionStatus::Refunded {
        changes.remove.extend(GSI4);
    }
    writes.push(store.change(
        &Key::commission(account, &after.id),
        changes,
        as_before.and(paid).and(unchanged_since(before)?),
    )?);
    let mut earned = after.amount - before.amount;
    if let Some(clawback) = &reversed.clawback {
        earned += clawback.amount;
        writes.push(store.put(to_item(account, clawback)?, Condition::absent())?);
        let mut lists = vec![
            Tally::commissions(None, None),
            Tally::commissions(Some(&clawback.partner_id), None),
        ];
        if let Some(referral) = &clawback.referral_id {
            lists.push(Tally::commissions(None, Some(referral)));
        }
        writes.extend(tallies::add(store, account, &lists, &clawback.id, 1)?);
    }
    writes.push(store.update(
        &Key::partner(account, &after.partner_id),
        &format!(
            "ADD ltv_total :refund, {} :earned",
            super::partners::commissions_total(after.unit)
        ),
        [
            (
                ":refund",
                number(before.reversed_sale_in_base() - after.reversed_sale_in_base()),
            ),
            (":earned", number(earned)),
        ],
        Condition::present(),
    )?);
    writes.extend(events::writes(store, account, events)?);
    store.transact(writes).await
}

/// The commission must not have changed since `before` was read, so the
/// events written with a change show it exactly as it then is.
fn unchanged_since(before: &Commission) -> Result<Condition, StoreError> {
    Ok(Condition::new("updated_at = :read_updated_at")
        .value(":read_updated_at", timestamp(before.updated_at)?))
}

/// The decimal attribute `name` must still hold `value` (or be absent).
fn as_read(name: &str, value: Option<Decimal>) -> Condition {
    match value {
        None => Condition::new(format!("attribute_not_exists({name})")),
        Some(value) => Condition::new(format!("{name} = :{name}"))
            .value(&format!(":{name}"), AttributeValue::S(value.to_string())),
    }
}

/// Writes a decision taken on `after` (read as `before`), provided the
/// commission is still pending and unchanged, with its `events`.
pub async fn save_decision(
    store: &Store,
    account: &Id,
    before: &Commission,
    after: &Commission,
    events: &[Event],
) -> Result<(), StoreError> {
    let mut writes = vec![decided(store, account, before, after)?];
    writes.extend(events::writes(store, account, events)?);
    store.transact(writes).await
}

/// The decision `after` of the commission read as `before`, provided it is
/// still pending and unchanged since.
pub fn decided(
    store: &Store,
    account: &Id,
    before: &Commission,
    after: &Commission,
) -> Result<TransactWriteItem, StoreError> {
    store.change(
        &Key::commission(account, &after.id),
        decision_changes(account, &after.id, after.status, after.status_updated_at)?,
        decision_condition(account, before)?,
    )
}

/// A decision's condition: the commission read as `before` is still
/// pending and unchanged since.
fn decision_condition(account: &Id, before: &Commission) -> Result<Condition, StoreError> {
    Ok(in_status(account, CommissionStatus::Pending, ":from").and(unchanged_since(before)?))
}

/// What moves the commission `id` from pending to `status` at `at` (and
/// into that status's list).
fn decision_changes(
    account: &Id,
    id: &Id,
    status: CommissionStatus,
    at: DateTime<Utc>,
) -> Result<Changes, StoreError> {
    let [(gsi2pk, pk), (gsi2sk, sk)] = status_entry(account, status, id).attributes();
    let mut changes = Changes::set(Item::from([
        (
            "status".to_string(),
            AttributeValue::S(status.as_str().into()),
        ),
        ("status_updated_at".to_string(), timestamp(at)?),
        ("updated_at".to_string(), timestamp(at)?),
        (gsi2pk.to_string(), pk),
        (gsi2sk.to_string(), sk),
    ]));
    if status == CommissionStatus::Approved {
        // Commissions stored before `payable_pk` were all payable.
        changes.copy_or.push((
            GSI4[0],
            PAYABLE_PK,
            AttributeValue::S(IndexEntry::payable_partition(account)),
        ));
        changes.copy.push((GSI4[1], PAYABLE_SK));
    }
    Ok(changes)
}

/// A payable commission as the payable index shows it (the index projects
/// just these attributes): what the payout run sums.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Payable {
    pub id: Id,
    pub partner_id: Id,
    pub currency: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

impl Payable {
    pub fn from_index_item(item: Item) -> Result<Self, StoreError> {
        decode(item)
    }

    pub fn of(commission: &Commission) -> Self {
        Self {
            id: commission.id.clone(),
            partner_id: commission.partner_id.clone(),
            currency: commission.currency,
            amount: commission.amount,
        }
    }
}

/// Puts the commission `payable` into the payout `payout`, provided it is
/// still approved, unpaid, of the amount the run summed and unchanged since
/// it was `read` (as its event shows it): a refund or a second run that got
/// there first cancels the transaction instead.
pub fn pay(
    store: &Store,
    account: &Id,
    payable: &Payable,
    read: &Commission,
    payout: &Id,
    at: DateTime<Utc>,
) -> Result<TransactWriteItem, StoreError> {
    let [(gsi4pk, pk), (gsi4sk, sk)] =
        IndexEntry::commission_in_payout(account, payout, &payable.id).attributes();
    let changes = Changes::set(Item::from([
        (
            "payout_status".to_string(),
            AttributeValue::S(PayoutStatus::Paid.as_str().into()),
        ),
        (
            "payout_id".to_string(),
            AttributeValue::S(payout.to_string()),
        ),
        ("updated_at".to_string(), timestamp(at)?),
        (gsi4pk.to_string(), pk),
        (gsi4sk.to_string(), sk),
    ]));
    let unpaid = Condition::new("payout_status = :not_paid AND amount = :amount")
        .value(
            ":not_paid",
            AttributeValue::S(PayoutStatus::NotPaid.as_str().into()),
        )
        .value(":amount", AttributeValue::S(payable.amount.to_string()));
    store.change(
        &Key::commission(account, &payable.id),
        changes,
        unpaid
            .and(in_status(account, CommissionStatus::Approved, ":approved"))
            .and(unchanged_since(read)?),
    )
}

/// Hands the commission `id` of the failed payout `payout` back to the
/// payable ones, for the next run.
pub fn release(
    store: &Store,
    account: &Id,
    id: &Id,
    payout: &Id,
    at: DateTime<Utc>,
) -> Result<TransactWriteItem, StoreError> {
    let changes = Changes {
        set: Item::from([
            (
                "payout_status".to_string(),
                AttributeValue::S(PayoutStatus::NotPaid.as_str().into()),
            ),
            ("updated_at".to_string(), timestamp(at)?),
            (
                GSI4[0].to_string(),
                AttributeValue::S(IndexEntry::payable_partition(account)),
            ),
        ]),
        copy: vec![(GSI4[1], PAYABLE_SK)],
        remove: vec!["payout_id"],
        ..Changes::default()
    };
    store.change(
        &Key::commission(account, id),
        changes,
        Condition::new("payout_id = :payout")
            .value(":payout", AttributeValue::S(payout.to_string())),
    )
}

/// Marks the approved non-cash commission `after` fulfilled, taking it out
/// of those to fulfil, provided it is still approved and neither paid nor
/// fulfilled.
pub async fn save_fulfilment(
    store: &Store,
    account: &Id,
    after: &Commission,
) -> Result<(), StoreError> {
    let changes = Changes {
        set: Item::from([
            (
                "payout_status".to_string(),
                AttributeValue::S(PayoutStatus::Fulfilled.as_str().into()),
            ),
            ("updated_at".to_string(), timestamp(after.updated_at)?),
        ]),
        remove: GSI4.to_vec(),
        ..Changes::default()
    };
    let unfulfilled = Condition::new("payout_status = :not_paid").value(
        ":not_paid",
        AttributeValue::S(PayoutStatus::NotPaid.as_str().into()),
    );
    let write = store.change(
        &Key::commission(account, &after.id),
        changes,
        unfulfilled.and(in_status(account, CommissionStatus::Approved, ":approved")),
    )?;
    store.transact(vec![write]).await
}

/// Writes the decisions taken on commissions read as `before` (`after`,
/// in the same order) in one transaction with their `events` (one each, in
/// the same order): each must still be pending and unchanged, or none
/// changes. When the events' items do not fit beside the decisions, each
/// event is staged on its commission instead, and the stages are answered,
/// for the caller to release (`events::release`).
pub async fn decide_all(
    store: &Store,
    account: &Id,
    before: &[Commission],
    after: &[Commission],
    events: &[Event],
) -> Result<Vec<Stage>, StoreError> {
    let outbox = events::writes(store, account, events)?;
    let staged = after.len() + outbox.len() > MAX_TRANSACTION_ITEMS;
    let mut stages = Vec::new();
    let mut writes = Vec::with_capacity(after.len() + outbox.len());
    for (n, (before, after)) in before.iter().zip(after).enumerate() {
        let holder = Key::commission(account, &after.id);
        let mut changes =
            decision_changes(account, &after.id, after.status, after.status_updated_at)?;
        if let Some(event) = events.get(n).filter(|_| staged) {
            let (name, text) = events::stage(event);
            changes.set.insert(name, text);
            stages.push(Stage {
                holder: holder.clone(),
                event: event.clone(),
            });
        }
        writes.push(store.change(&holder, changes, decision_condition(account, before)?)?);
    }
    if !staged {
        writes.extend(outbox);
    }
    store.transact(writes).await?;
    Ok(stages)
}

/// Writes the notes of `after` that `notes` names.
pub async fn save_notes(
    store: &Store,
    account: &Id,
    after: &Commission,
    named: &[&str],
) -> Result<(), StoreError> {
    let mut item = to_item(account, after)?;
    item.retain(|name, _| name == "updated_at" || named.contains(&name.as_str()));
    let write = store.assign(
        &Key::commission(account, &after.id),
        item,
        Condition::present(),
    )?;
    store.transact(vec![write]).await
}

/// What a list of commissions is narrowed by.
#[derive(Clone, Debug, Default)]
pub struct CommissionFilter {
    pub partner: Option<Id>,
    pub referral: Option<Id>,
    pub status: Option<CommissionStatus>,
    pub payout_status: Option<PayoutStatus>,
    pub unit: Option<RewardUnit>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// The commissions `filter` selects. The narrowest index carries the read:
/// the referral's list, else the partner's, else the status's, else the
/// account's; the remaining criteria filter it.
pub fn list(account: &Id, filter: &CommissionFilter) -> FilteredList {
    let mut conditions = Vec::new();
    let status = |status| in_status(account, status, ":status");
    let listing = match (&filter.referral, &filter.partner, filter.status) {
        (Some(referral), partner, _) => {
            if let Some(partner) = partner {
                conditions.push(
                    Condition::new("partner_id = :partner")
                        .value(":partner", AttributeValue::S(partner.to_string())),
                );
            }
            conditions.extend(filter.status.map(status));
            Listing::commissions_of_referral(account, referral)
        }
        (None, Some(partner), _) => {
            conditions.extend(filter.status.map(status));
            Listing::commissions_of_partner(account, partner)
        }
        (None, None, Some(wanted)) => Listing::commissions_with_status(account, wanted.as_str()),
        (None, None, None) => Listing::commissions(account),
    };
    if let Some(payout) = filter.payout_status {
        conditions.push(
            Condition::new("payout_status = :payout")
                .value(":payout", AttributeValue::S(payout.as_str().into())),
        );
    }
    if let Some(unit) = filter.unit {
        conditions.push(
            Condition::new("#unit = :unit")
                .name("#unit", "unit")
                .value(":unit", AttributeValue::S(unit.as_str().into())),
        );
    }
    let tally = (conditions.is_empty()
        && filter.status.is_none()
        && filter.from.is_none()
        && filter.to.is_none())
    .then(|| Tally::commissions(filter.partner.as_ref(), filter.referral.as_ref()));
    FilteredList {
        listing: listing.created_between(filter.from, filter.to),
        filter: conditions.into_iter().reduce(Condition::and),
        tally,
    }
}
