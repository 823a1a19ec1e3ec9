//! The key builder: the only place that formats table and index keys.
//!
//! Every partition key starts with `A#<account>`, so an item of one tenant can
//! never be addressed with another tenant's account id. Two partitions hold
//! no tenant's data and are named here as the exceptions: the directory of
//! accounts and the reference exchange rates every account shares. Read this module next
//! to the access-pattern table in `README.md`.

use std::borrow::Cow;
use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, NaiveDate, Utc};

use ledger_core::model::Id;

/// The primary key of one item.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

/// A partition and a sort-key prefix: one Query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Collection {
    pub pk: String,
    pub sk_prefix: &'static str,
}

/// Where a listing's read resumes (see [`Listing::continue_after`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Continuation {
    FromStart,
    After(HashMap<String, AttributeValue>),
    /// Nothing of the listing lies after the position.
    Exhausted,
}

/// A global secondary index of the table (schema in `template.yaml`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Index {
    Gsi1,
    Gsi2,
    Gsi3,
    /// Money on its way to a partner: the account's payable commissions
    /// (approved, not paid) grouped by partner and currency, and each
    /// payout's commissions. Sparse: no other item has these attributes.
    Gsi4,
}

impl Index {
    pub fn name(self) -> &'static str {
        match self {
            Index::Gsi1 => "gsi1",
            Index::Gsi2 => "gsi2",
            Index::Gsi3 => "gsi3",
            Index::Gsi4 => "gsi4",
        }
    }

    fn attributes(self) -> (&'static str, &'static str) {
        match self {
            Index::Gsi1 => ("gsi1pk", "gsi1sk"),
            Index::Gsi2 => ("gsi2pk", "gsi2sk"),
            Index::Gsi3 => ("gsi3pk", "gsi3sk"),
            Index::Gsi4 => ("gsi4pk", "gsi4sk"),
        }
    }
}

/// An item's entry in one index: the index keys stored on the item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexEntry {
    pub index: Index,
    pub pk: String,
    pub sk: String,
}

/// A value that at most one object of an account may hold. Each is its own
/// item, written in the same transaction as its owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UniqueValue<'a> {
    /// A partner's email, compared case-insensitively.
    PartnerEmail(&'a str),
    /// A partner's link code, compared case-insensitively.
    LinkCode(&'a str),
    /// A partner's promo code, compared case-insensitively.
    PromoCode(&'a str),
    /// A Stripe customer id: one referral per customer.
    StripeCustomer(&'a str),
    /// A billing event's id: one commission per event.
    Event(&'a str),
    /// A Stripe payment (charge, invoice or payment intent) id: one commission per payment.
    StripePayment(&'a str),
    /// A referred customer's email, compared case-insensitively: one referral per customer.
    CustomerEmail(&'a str),
    /// A refund's business id: one reversal per refund.
    Refund(&'a str),
}

impl UniqueValue<'_> {
    fn sort_key(self) -> String {
        match self {
            UniqueValue::PartnerEmail(v) => format!("UNIQUE#email#{}", v.to_lowercase()),
            UniqueValue::LinkCode(v) => format!("UNIQUE#link#{}", v.to_lowercase()),
            UniqueValue::PromoCode(v) => format!("UNIQUE#promo#{}", v.to_lowercase()),
            UniqueValue::StripeCustomer(v) => format!("UNIQUE#customer#{v}"),
            UniqueValue::Event(v) => format!("UNIQUE#event#{v}"),
            UniqueValue::StripePayment(v) => format!("UNIQUE#payment#{v}"),
            UniqueValue::CustomerEmail(v) => format!("UNIQUE#customer_email#{}", v.to_lowercase()),
            UniqueValue::Refund(v) => format!("UNIQUE#refund#{v}"),
        }
    }
}

/// A counter of one list's members, kept in step with the list by the
/// transactions that add or move members. It is what a list's `count` reads.
///
/// A tally is one item, or [`Tally::shards`] items when a busy list's every
/// write would otherwise meet on one: concurrent transactions on an item
/// cancel one another, and one item takes at most 1,000 write units a second.
/// Its count is the sum of its items; each member is counted on the item of
/// its own shard, so an item never counts below zero.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tally {
    name: String,
    shards: u16,
}

/// The items the account's whole commissions list is counted on: every
/// commission the account earns adds to it, concurrent sales of different
/// partners included. 96 items keep two of a burst's transactions apart
/// (one in 96 meet; with 32, one account's 64-sender burst still lost a
/// third of its transactions on them) while the list page's count still
/// fits one BatchGetItem beside the request's authentication (100 keys),
/// and the check that none counts anything one transaction (A2). No
/// commission ever leaves the list, so counts kept on fewer shards before
/// stay exact: their items are the first ones.
pub const COMMISSIONS_TALLY_SHARDS: u16 = 96;

/// The items a partner's statistics (and its commissions list's tally) are
/// kept on: every sale of the partner adds to one of them, the commission's
/// shard, so two concurrent sales of one partner meet on an item one time in
/// 4. Four keeps a partner update that changes the partner's standing or
/// group (which writes every shard) within a transaction's 100 items.
pub const PARTNER_STATS_SHARDS: u16 = 4;

/// The items one partner's clicks of one day are counted on: a click adds
/// to one of them, at random, so a burst of clicks on one link spreads over
/// them (and over the partner's statistics shards, [`PARTNER_STATS_SHARDS`]).
pub const CLICK_DAY_SHARDS: u16 = 4;

/// The shard of `shards` that counts `member`: FNV-1a of the id, so it never
/// changes with the toolchain. With shard counts that divide one another, two
/// members on different shards of the smaller count are on different shards
/// of the larger.
pub fn shard_of(member: &Id, shards: u16) -> u16 {
    let hash = member
        .as_str()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    (hash % u64::from(shards)) as u16
}

impl Tally {
    fn single(name: String) -> Self {
        Self { name, shards: 1 }
    }

    pub fn partners() -> Self {
        Self::single("partners".into())
    }

    pub fn partners_in_group(group: &Id) -> Self {
        Self::single(format!("partners#group#{group}"))
    }

    pub fn campaigns() -> Self {
        Self::single("campaigns".into())
    }

    pub fn webhook_endpoints() -> Self {
        Self::single("webhook_endpoints".into())
    }

    /// The commissions list, whole or one partner's or one referral's.
    pub fn commissions(partner: Option<&Id>, referral: Option<&Id>) -> Self {
        match (partner, referral) {
            (_, Some(referral)) => Self::single(format!("commissions#referral#{referral}")),
            (Some(partner), None) => Self {
                name: format!("commissions#partner#{partner}"),
                shards: PARTNER_STATS_SHARDS,
            },
            (None, None) => Self {
                name: "commissions".into(),
                shards: COMMISSIONS_TALLY_SHARDS,
            },
        }
    }

    /// The payouts list, whole or one partner's.
    pub fn payouts(partner: Option<&Id>) -> Self {
        Self::single(match partner {
            Some(partner) => format!("payouts#partner#{partner}"),
            None => "payouts".into(),
        })
    }

    /// The referrals list, filtered by partner and/or subscription status or not at all.
    pub fn referrals(partner: Option<&Id>, status: Option<&str>) -> Self {
        let mut name = String::from("referrals");
        if let Some(partner) = partner {
            name.push_str(&format!("#partner#{partner}"));
        }
        if let Some(status) = status {
            name.push_str(&format!("#status#{status}"));
        }
        Self::single(name)
    }

    /// How many items count this tally.
    pub fn shards(&self) -> u16 {
        self.shards
    }

    /// The shard that counts `member`: the same whenever it is added or
    /// removed ([`shard_of`]).
    pub fn shard_of(&self, member: &Id) -> u16 {
        shard_of(member, self.shards)
    }
}

fn account_partition(account: &Id) -> String {
    format!("A#{account}")
}

fn due_deliveries_partition(account: &Id) -> String {
    format!("{}#WEBHOOK_DELIVERIES_DUE", account_partition(account))
}

/// A moment as a fixed-width sort key: text order is time order.
fn due_moment(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn partner_referrals_partition(account: &Id, partner: &Id) -> String {
    format!(
        "{}#{PARTNER}{partner}#REFERRALS",
        account_partition(account)
    )
}

fn status_referrals_partition(account: &Id, status: &str) -> String {
    format!("{}#REFERRALS#STATUS#{status}", account_partition(account))
}

fn partner_commissions_partition(account: &Id, partner: &Id) -> String {
    format!(
        "{}#{PARTNER}{partner}#COMMISSIONS",
        account_partition(account)
    )
}

fn status_commissions_partition(account: &Id, status: &str) -> String {
    format!("{}#COMMISSIONS#STATUS#{status}", account_partition(account))
}

fn referral_commissions_partition(account: &Id, referral: &Id) -> String {
    format!(
        "{}#{REFERRAL}{referral}#COMMISSIONS",
        account_partition(account)
    )
}

fn payable_partition(account: &Id) -> String {
    format!("{}#PAYABLE", account_partition(account))
}

fn payout_commissions_partition(account: &Id, payout: &Id) -> String {
    format!(
        "{}#{PAYOUT}{payout}#COMMISSIONS",
        account_partition(account)
    )
}

fn partner_payouts_partition(account: &Id, partner: &Id) -> String {
    format!("{}#{PARTNER}{partner}#PAYOUTS", account_partition(account))
}

fn status_payouts_partition(account: &Id, status: &str) -> String {
    format!("{}#PAYOUTS#STATUS#{status}", account_partition(account))
}

fn period_payouts_partition(account: &Id, period: &str) -> String {
    format!("{}#PAYOUTS#PERIOD#{period}", account_partition(account))
}

fn type_events_partition(account: &Id, kind: &str) -> String {
    format!("{}#EVENTS#TYPE#{kind}", account_partition(account))
}

/// The one index partition whose key does not start with an account: the
/// directory of accounts, which only the scheduled payout run reads (it
/// holds account items, never anything of theirs).
const ACCOUNT_DIRECTORY: &str = "ACCOUNTS";

/// Where a partner's payable commissions in one currency sort in the
/// payable partition: together, partner by partner.
fn payable_group(partner: &Id, currency: &str) -> String {
    format!("{partner}#{currency}#")
}

/// The other partition whose key does not start with an account: reference
/// exchange rates, which every account of the deployment shares. It holds
/// published rates only, never anything of an account's.
const FX_RATES: &str = "REF#FX_RATES";

const API_KEY: &str = "KEY#";
const GROUP: &str = "GROUP#";
const PARTNER: &str = "PARTNER#";
const CAMPAIGN: &str = "CAMPAIGN#";
const REFERRAL: &str = "REFERRAL#";
const COMMISSION: &str = "COMMISSION#";
const PAYOUT: &str = "PAYOUT#";
const PORTAL_SESSION: &str = "PORTAL_SESSION#";
const WEBHOOK_ENDPOINT: &str = "WEBHOOK_ENDPOINT#";
const CLICK: &str = "CLICK#";
const CLICK_DAY: &str = "CLICK_DAY#";
const WEBHOOK_DELIVERY: &str = "WEBHOOK_DELIVERY#";
/// Event items (the outbox): no other item's sort key starts with it.
pub const EVENT: &str = "EVENT#";

impl Key {
    /// DynamoDB's limits on a partition key and a sort key, in UTF-8 bytes.
    pub const MAX_PARTITION_BYTES: usize = 2048;
    pub const MAX_SORT_BYTES: usize = 1024;

    /// Whether DynamoDB accepts this key. One it refuses can hold no item,
    /// so a read of it finds nothing without asking.
    pub fn is_storable(&self) -> bool {
        self.pk.len() <= Self::MAX_PARTITION_BYTES && self.sk.len() <= Self::MAX_SORT_BYTES
    }

    pub fn account(account: &Id) -> Self {
        Self::of(account, "ACCOUNT".into())
    }

    /// What the two halves of a current-version Stripe invoice's news (its
    /// customer, its payment) have told so far.
    pub fn stripe_invoice(account: &Id, invoice: &str) -> Self {
        Self::of(account, format!("STRIPE_INVOICE#{invoice}"))
    }

    /// The reference exchange rates published for `day` (shared by every account).
    pub fn fx_rates(day: NaiveDate) -> Self {
        Self {
            pk: FX_RATES.into(),
            sk: format!("DATE#{day}"),
        }
    }

    pub fn api_key(account: &Id, key: &Id) -> Self {
        Self::of(account, format!("{API_KEY}{key}"))
    }

    /// A partner's portal session (its token carries the account; the id is
    /// derived from the token).
    pub fn portal_session(account: &Id, session: &Id) -> Self {
        Self::of(account, format!("{PORTAL_SESSION}{session}"))
    }

    pub fn partner_group(account: &Id, group: &Id) -> Self {
        Self::of(account, format!("{GROUP}{group}"))
    }

    pub fn partner(account: &Id, partner: &Id) -> Self {
        Self::of(account, format!("{PARTNER}{partner}"))
    }

    /// Item `shard` of the partner's statistics (0 to
    /// [`PARTNER_STATS_SHARDS`] - 1): the first is the partner item itself,
    /// the others sort apart from every partner (`PARTNER_STATS#`, which
    /// `begins_with(sk, PARTNER#)` does not match), so the partner list
    /// never meets them.
    pub fn partner_stats(account: &Id, partner: &Id, shard: u16) -> Self {
        match shard {
            0 => Self::partner(account, partner),
            shard => Self::of(account, format!("PARTNER_STATS#{partner}#{shard}")),
        }
    }

    pub fn campaign(account: &Id, campaign: &Id) -> Self {
        Self::of(account, format!("{CAMPAIGN}{campaign}"))
    }

    pub fn referral(account: &Id, referral: &Id) -> Self {
        Self::of(account, format!("{REFERRAL}{referral}"))
    }

    pub fn commission(account: &Id, commission: &Id) -> Self {
        Self::of(account, format!("{COMMISSION}{commission}"))
    }

    pub fn payout(account: &Id, payout: &Id) -> Self {
        Self::of(account, format!("{PAYOUT}{payout}"))
    }

    pub fn click(account: &Id, click: &Id) -> Self {
        Self::of(account, format!("{CLICK}{click}"))
    }

    /// Item `shard` (0 to [`CLICK_DAY_SHARDS`] - 1) of the partner's clicks
    /// on `day`: the partner's days sort together, day by day, so a range of
    /// days is one Query ([`Key::click_days`]).
    pub fn click_day(account: &Id, partner: &Id, day: NaiveDate, shard: u16) -> Self {
        Self::of(account, format!("{CLICK_DAY}{partner}#{day}#{shard}"))
    }

    /// The partition and the sort-key bounds (inclusive) of every shard of
    /// the partner's click days from `from` to `to`.
    pub fn click_days(
        account: &Id,
        partner: &Id,
        from: NaiveDate,
        to: NaiveDate,
    ) -> (String, String, String) {
        (
            account_partition(account),
            format!("{CLICK_DAY}{partner}#{from}#"),
            format!("{CLICK_DAY}{partner}#{to}#~"),
        )
    }

    pub fn webhook_endpoint(account: &Id, endpoint: &Id) -> Self {
        Self::of(account, format!("{WEBHOOK_ENDPOINT}{endpoint}"))
    }

    /// The delivery of event `event` to endpoint `endpoint`: one item per
    /// pair, so recording it again finds the first.
    pub fn webhook_delivery(account: &Id, endpoint: &Id, event: &Id) -> Self {
        Self::of(account, format!("{WEBHOOK_DELIVERY}{endpoint}#{event}"))
    }

    /// The event item whose first event is `first`: one change's events,
    /// written in the change's own transaction.
    pub fn events(account: &Id, first: &Id) -> Self {
        Self::of(account, format!("{EVENT}{first}"))
    }

    /// Where an unfinished payout run left off in the account.
    pub fn payout_run(account: &Id) -> Self {
        Self::of(account, "PAYOUT_RUN".into())
    }

    pub fn unique(account: &Id, value: UniqueValue) -> Self {
        Self::of(account, value.sort_key())
    }

    /// Item `shard` of `tally` (0 to `shards - 1`); the first is the
    /// item a single-item tally is.
    pub fn tally(account: &Id, tally: &Tally, shard: u16) -> Self {
        match shard {
            0 => Self::of(account, format!("TALLY#{}", tally.name)),
            shard => Self::of(account, format!("TALLY#{}#shard#{shard}", tally.name)),
        }
    }

    fn of(account: &Id, sk: String) -> Self {
        Self {
            pk: account_partition(account),
            sk,
        }
    }

    /// The key as DynamoDB wants it.
    pub fn item_key(&self) -> HashMap<String, AttributeValue> {
        HashMap::from([
            ("pk".to_string(), AttributeValue::S(self.pk.clone())),
            ("sk".to_string(), AttributeValue::S(self.sk.clone())),
        ])
    }

    /// Reads the key back out of a stored item.
    pub fn of_item(item: &HashMap<String, AttributeValue>) -> Option<Self> {
        let text = |name: &str| item.get(name)?.as_s().ok().cloned();
        Some(Self {
            pk: text("pk")?,
            sk: text("sk")?,
        })
    }
}

impl IndexEntry {
    /// A referral in its partner's referral list.
    pub fn referral_by_partner(account: &Id, partner: &Id, referral: &Id) -> Self {
        Self {
            index: Index::Gsi1,
            pk: partner_referrals_partition(account, partner),
            sk: format!("{REFERRAL}{referral}"),
        }
    }

    /// A referral in the list of referrals with its subscription status.
    pub fn referral_by_status(account: &Id, status: &str, referral: &Id) -> Self {
        Self {
            index: Index::Gsi2,
            pk: status_referrals_partition(account, status),
            sk: format!("{REFERRAL}{referral}"),
        }
    }

    /// A commission in its partner's commission list.
    pub fn commission_by_partner(account: &Id, partner: &Id, commission: &Id) -> Self {
        Self {
            index: Index::Gsi1,
            pk: partner_commissions_partition(account, partner),
            sk: format!("{COMMISSION}{commission}"),
        }
    }

    /// A commission in the list of commissions with its status.
    pub fn commission_by_status(account: &Id, status: &str, commission: &Id) -> Self {
        Self {
            index: Index::Gsi2,
            pk: status_commissions_partition(account, status),
            sk: format!("{COMMISSION}{commission}"),
        }
    }

    /// The partition of the commissions with `status`: what a condition on a
    /// commission's status compares `gsi2pk` with.
    pub fn commission_status_partition(account: &Id, status: &str) -> String {
        status_commissions_partition(account, status)
    }

    /// A commission in its referral's commission list.
    pub fn commission_by_referral(account: &Id, referral: &Id, commission: &Id) -> Self {
        Self {
            index: Index::Gsi3,
            pk: referral_commissions_partition(account, referral),
            sk: format!("{COMMISSION}{commission}"),
        }
    }

    /// A commission the next payout of its partner and currency will take.
    pub fn payable_commission(account: &Id, partner: &Id, currency: &str, commission: &Id) -> Self {
        Self {
            index: Index::Gsi4,
            pk: payable_partition(account),
            sk: format!(
                "{}{COMMISSION}{commission}",
                payable_group(partner, currency)
            ),
        }
    }

    /// The partition of the payable commissions.
    pub fn payable_partition(account: &Id) -> String {
        payable_partition(account)
    }

    /// An approved commission in a unit other than cash, which no payout
    /// takes: it waits here, out of the payable partition, for the merchant
    /// to fulfil it.
    pub fn commission_to_fulfil(account: &Id, partner: &Id, unit: &str, commission: &Id) -> Self {
        Self {
            index: Index::Gsi4,
            pk: format!("{}#TO_FULFIL", account_partition(account)),
            sk: format!("{partner}#{unit}#{COMMISSION}{commission}"),
        }
    }

    /// A commission a payout took.
    pub fn commission_in_payout(account: &Id, payout: &Id, commission: &Id) -> Self {
        Self {
            index: Index::Gsi4,
            pk: payout_commissions_partition(account, payout),
            sk: format!("{COMMISSION}{commission}"),
        }
    }

    /// A payout in its partner's payout list.
    pub fn payout_by_partner(account: &Id, partner: &Id, payout: &Id) -> Self {
        Self {
            index: Index::Gsi1,
            pk: partner_payouts_partition(account, partner),
            sk: format!("{PAYOUT}{payout}"),
        }
    }

    /// A payout in the list of payouts with its status.
    pub fn payout_by_status(account: &Id, status: &str, payout: &Id) -> Self {
        Self {
            index: Index::Gsi2,
            pk: status_payouts_partition(account, status),
            sk: format!("{PAYOUT}{payout}"),
        }
    }

    /// The partition of the payouts with `status`: what a condition on a
    /// payout's status compares `gsi2pk` with.
    pub fn payout_status_partition(account: &Id, status: &str) -> String {
        status_payouts_partition(account, status)
    }

    /// A payout in the list of its period's payouts.
    pub fn payout_by_period(account: &Id, period: &str, payout: &Id) -> Self {
        Self {
            index: Index::Gsi3,
            pk: period_payouts_partition(account, period),
            sk: format!("{PAYOUT}{payout}"),
        }
    }

    /// The partition of the payouts of `period`.
    pub fn payout_period_partition(account: &Id, period: &str) -> String {
        period_payouts_partition(account, period)
    }

    /// A webhook delivery waiting for its next attempt at `due`: the sweeper
    /// reads the account's due deliveries in time order. Sparse: a delivery
    /// leaves it when it succeeds or gives up.
    pub fn webhook_delivery_due(
        account: &Id,
        due: DateTime<Utc>,
        endpoint: &Id,
        event: &Id,
    ) -> Self {
        Self {
            index: Index::Gsi1,
            pk: due_deliveries_partition(account),
            sk: format!("{}#{endpoint}#{event}", due_moment(due)),
        }
    }

    /// An event item in the list of its type's events.
    pub fn events_by_type(account: &Id, kind: &str, first: &Id) -> Self {
        Self {
            index: Index::Gsi1,
            pk: type_events_partition(account, kind),
            sk: format!("{EVENT}{first}"),
        }
    }

    /// An account in the directory of accounts the scheduled run walks.
    pub fn account_in_directory(account: &Id) -> Self {
        Self {
            index: Index::Gsi1,
            pk: ACCOUNT_DIRECTORY.into(),
            sk: format!("ACCOUNT#{account}"),
        }
    }

    /// The attributes that put an item into this index.
    pub fn attributes(&self) -> [(&'static str, AttributeValue); 2] {
        let (pk, sk) = self.index.attributes();
        [
            (pk, AttributeValue::S(self.pk.clone())),
            (sk, AttributeValue::S(self.sk.clone())),
        ]
    }
}

impl Collection {
    pub fn partner_groups(account: &Id) -> Self {
        Self {
            pk: account_partition(account),
            sk_prefix: GROUP,
        }
    }

    pub fn api_keys(account: &Id) -> Self {
        Self {
            pk: account_partition(account),
            sk_prefix: API_KEY,
        }
    }

    /// The account's webhook endpoints (a small collection, listed whole).
    pub fn webhook_endpoints(account: &Id) -> Self {
        Self {
            pk: account_partition(account),
            sk_prefix: WEBHOOK_ENDPOINT,
        }
    }
}

/// A partition the payout run reads through from a position it may have
/// saved: one Query (continued over DynamoDB's pages) on an index.
#[derive(Clone, Debug, PartialEq)]
pub struct Walk {
    pub index: Index,
    pub key_condition: String,
    pub values: HashMap<String, AttributeValue>,
}

impl Walk {
    /// Pending commissions created at `until` or earlier (ids sort by
    /// creation time, so the holding period is a key range), after the
    /// commission `after`.
    pub fn pending_commissions(account: &Id, after: Option<&Id>, until: DateTime<Utc>) -> Self {
        let low = match after {
            Some(after) => format!("{COMMISSION}{after}~"),
            None => COMMISSION.to_string(),
        };
        Self::new(
            Index::Gsi2,
            "gsi2pk = :partition AND gsi2sk BETWEEN :low AND :high",
            [
                (
                    ":partition",
                    status_commissions_partition(account, "pending"),
                ),
                (":low", low),
                (":high", format!("{COMMISSION}{}", Id::last_at(until))),
            ],
        )
    }

    /// The account's payable commissions, partner by partner and currency
    /// by currency, after the group of `after` (partner, currency).
    pub fn payable_commissions(account: &Id, after: Option<(&Id, &str)>) -> Self {
        let partition = (":partition", payable_partition(account));
        match after {
            None => Self::new(Index::Gsi4, "gsi4pk = :partition", [partition]),
            // `~` sorts after every character of a group's sort keys, so
            // "after the group" skips the whole group.
            Some((partner, currency)) => Self::new(
                Index::Gsi4,
                "gsi4pk = :partition AND gsi4sk > :low",
                [
                    partition,
                    (":low", format!("{}~", payable_group(partner, currency))),
                ],
            ),
        }
    }

    /// The account's webhook deliveries due at `now` or earlier, oldest first.
    pub fn due_webhook_deliveries(account: &Id, now: DateTime<Utc>) -> Self {
        // `$` sorts right after the `#` that ends a moment, so every entry
        // of moment `now` lies below the bound and none of a later one.
        Self::new(
            Index::Gsi1,
            "gsi1pk = :partition AND gsi1sk < :until",
            [
                (":partition", due_deliveries_partition(account)),
                (":until", format!("{}$", due_moment(now))),
            ],
        )
    }

    /// Every account, for the scheduled run.
    pub fn accounts() -> Self {
        Self::new(
            Index::Gsi1,
            "gsi1pk = :partition",
            [(":partition", ACCOUNT_DIRECTORY.to_string())],
        )
    }

    fn new<const N: usize>(index: Index, key_condition: &str, values: [(&str, String); N]) -> Self {
        Self {
            index,
            key_condition: key_condition.into(),
            values: values
                .into_iter()
                .map(|(name, value)| (name.to_string(), AttributeValue::S(value)))
                .collect(),
        }
    }
}

/// Where a cursor-paged list reads: the account's items of one kind in the
/// table, or one partition of an index. Items sort by id, so "after this id"
/// is a complete cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listing {
    account: Id,
    prefix: Cow<'static, str>,
    index: Option<(Index, String)>,
    /// Only ids in this range (inclusive): creation time bounds.
    between: Option<(Id, Id)>,
}

impl Listing {
    pub fn partners(account: &Id) -> Self {
        Self::table(account, PARTNER)
    }

    pub fn campaigns(account: &Id) -> Self {
        Self::table(account, CAMPAIGN)
    }

    pub fn referrals(account: &Id) -> Self {
        Self::table(account, REFERRAL)
    }

    pub fn referrals_of_partner(account: &Id, partner: &Id) -> Self {
        Self::indexed(
            account,
            REFERRAL,
            Index::Gsi1,
            partner_referrals_partition(account, partner),
        )
    }

    pub fn referrals_with_status(account: &Id, status: &str) -> Self {
        Self::indexed(
            account,
            REFERRAL,
            Index::Gsi2,
            status_referrals_partition(account, status),
        )
    }

    pub fn commissions(account: &Id) -> Self {
        Self::table(account, COMMISSION)
    }

    pub fn commissions_of_partner(account: &Id, partner: &Id) -> Self {
        let partition = partner_commissions_partition(account, partner);
        Self::indexed(account, COMMISSION, Index::Gsi1, partition)
    }

    pub fn commissions_with_status(account: &Id, status: &str) -> Self {
        let partition = status_commissions_partition(account, status);
        Self::indexed(account, COMMISSION, Index::Gsi2, partition)
    }

    pub fn commissions_of_referral(account: &Id, referral: &Id) -> Self {
        let partition = referral_commissions_partition(account, referral);
        Self::indexed(account, COMMISSION, Index::Gsi3, partition)
    }

    pub fn payouts(account: &Id) -> Self {
        Self::table(account, PAYOUT)
    }

    pub fn payouts_of_partner(account: &Id, partner: &Id) -> Self {
        let partition = partner_payouts_partition(account, partner);
        Self::indexed(account, PAYOUT, Index::Gsi1, partition)
    }

    pub fn payouts_with_status(account: &Id, status: &str) -> Self {
        let partition = status_payouts_partition(account, status);
        Self::indexed(account, PAYOUT, Index::Gsi2, partition)
    }

    pub fn payouts_in_period(account: &Id, period: &str) -> Self {
        let partition = period_payouts_partition(account, period);
        Self::indexed(account, PAYOUT, Index::Gsi3, partition)
    }

    /// An endpoint's delivery log, one item per event, oldest event first.
    pub fn webhook_deliveries(account: &Id, endpoint: &Id) -> Self {
        Self::table(account, format!("{WEBHOOK_DELIVERY}{endpoint}#"))
    }

    /// The account's event items, or those of one type.
    pub fn events(account: &Id, kind: Option<&str>) -> Self {
        match kind {
            None => Self::table(account, EVENT),
            Some(kind) => Self::indexed(
                account,
                EVENT,
                Index::Gsi1,
                type_events_partition(account, kind),
            ),
        }
    }

    /// The id range a time-bounded listing reads (inclusive), if bounded.
    pub fn id_range(&self) -> Option<(&Id, &Id)> {
        self.between.as_ref().map(|(low, high)| (low, high))
    }

    /// The commissions a payout took.
    pub fn commissions_of_payout(account: &Id, payout: &Id) -> Self {
        let partition = payout_commissions_partition(account, payout);
        Self::indexed(account, COMMISSION, Index::Gsi4, partition)
    }

    /// The same list, narrowed to ids created within `from..=to`.
    pub fn created_between(
        mut self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Self {
        if from.is_some() || to.is_some() {
            self.between = Some((
                Id::first_at(from.unwrap_or(DateTime::UNIX_EPOCH)),
                to.map_or_else(|| Id::last_at(DateTime::<Utc>::MAX_UTC), Id::last_at),
            ));
        }
        self
    }

    fn table(account: &Id, prefix: impl Into<Cow<'static, str>>) -> Self {
        Self {
            account: account.clone(),
            prefix: prefix.into(),
            index: None,
            between: None,
        }
    }

    fn indexed(account: &Id, prefix: &'static str, index: Index, partition: String) -> Self {
        Self {
            account: account.clone(),
            prefix: prefix.into(),
            index: Some((index, partition)),
            between: None,
        }
    }

    /// The index to query, if not the table.
    pub fn index(&self) -> Option<Index> {
        self.index.as_ref().map(|(index, _)| *index)
    }

    /// The Query's key condition and its values: the partition, and the
    /// sort-key prefix or, when narrowed by time, the id range.
    pub fn key_condition(&self) -> (String, HashMap<String, AttributeValue>) {
        let (pk_name, pk, sk_name) = match &self.index {
            None => ("pk", account_partition(&self.account), "sk"),
            Some((index, pk)) => {
                let (pk_name, sk_name) = index.attributes();
                (pk_name, pk.clone(), sk_name)
            }
        };
        let mut values = HashMap::from([(":partition".to_string(), AttributeValue::S(pk))]);
        let expression = match &self.between {
            None => {
                values.insert(":prefix".into(), AttributeValue::S(self.prefix.to_string()));
                format!("{pk_name} = :partition AND begins_with({sk_name}, :prefix)")
            }
            Some((low, high)) => {
                values.insert(
                    ":low".into(),
                    AttributeValue::S(format!("{}{low}", self.prefix)),
                );
                values.insert(
                    ":high".into(),
                    AttributeValue::S(format!("{}{high}", self.prefix)),
                );
                format!("{pk_name} = :partition AND {sk_name} BETWEEN :low AND :high")
            }
        };
        (expression, values)
    }

    /// Where a read that continues after `id` starts: DynamoDB refuses an
    /// `ExclusiveStartKey` outside the key condition, so an id before a
    /// time range starts at its beginning and one past it ends the list.
    pub fn continue_after(&self, id: &Id) -> Continuation {
        match &self.between {
            Some((low, _)) if id < low => Continuation::FromStart,
            Some((_, high)) if id >= high => Continuation::Exhausted,
            _ => Continuation::After(self.start_after(id)),
        }
    }

    /// The `ExclusiveStartKey` that continues the list after the item `id`.
    pub fn start_after(&self, id: &Id) -> HashMap<String, AttributeValue> {
        let sk = format!("{}{id}", self.prefix);
        let mut start = Key::of(&self.account, sk.clone()).item_key();
        if let Some((index, pk)) = &self.index {
            let (pk_name, sk_name) = index.attributes();
            start.insert(pk_name.into(), AttributeValue::S(pk.clone()));
            start.insert(sk_name.into(), AttributeValue::S(sk));
        }
        start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> (Id, Id) {
        (
            Id::parse("68f76721000000000000000a").unwrap(),
            Id::parse("68f76721000000000000000b").unwrap(),
        )
    }

    #[test]
    fn every_key_starts_with_its_account() {
        let (a, b) = ids();
        let tally = Tally::referrals(Some(&b), Some("active"));
        for key in [
            Key::account(&a),
            Key::api_key(&a, &b),
            Key::portal_session(&a, &b),
            Key::partner_group(&a, &b),
            Key::partner(&a, &b),
            Key::campaign(&a, &b),
            Key::referral(&a, &b),
            Key::unique(&a, UniqueValue::PartnerEmail("x@example.com")),
            Key::tally(&a, &tally, 0),
            Key::tally(&a, &Tally::commissions(None, None), 5),
            Key::events(&a, &b),
            Key::click(&a, &b),
            Key::click_day(&a, &b, NaiveDate::MIN, 3),
        ] {
            assert!(key.pk.starts_with("A#68f76721000000000000000a"), "{key:?}");
        }
        for entry in [
            IndexEntry::referral_by_partner(&a, &b, &b),
            IndexEntry::referral_by_status(&a, "active", &b),
            IndexEntry::events_by_type(&a, "commission.paid", &b),
        ] {
            assert!(
                entry.pk.starts_with("A#68f76721000000000000000a"),
                "{entry:?}"
            );
        }
        for collection in [Collection::partner_groups(&a), Collection::api_keys(&a)] {
            assert!(
                collection.pk.starts_with("A#68f76721000000000000000a"),
                "{collection:?}"
            );
        }
        for listing in [
            Listing::partners(&a),
            Listing::referrals_of_partner(&a, &b),
            Listing::referrals_with_status(&a, "active"),
            Listing::commissions_of_partner(&a, &b),
            Listing::commissions_with_status(&a, "pending"),
            Listing::commissions_of_referral(&a, &b).created_between(Some(Utc::now()), None),
            Listing::events(&a, Some("partner.created")),
        ] {
            let (_, values) = listing.key_condition();
            let partition = values[":partition"].as_s().unwrap();
            assert!(
                partition.starts_with("A#68f76721000000000000000a"),
                "{listing:?}"
            );
        }
    }

    #[test]
    fn only_the_commissions_lists_of_the_account_and_of_a_partner_are_counted_on_several_items() {
        let (a, b) = ids();
        let whole = Tally::commissions(None, None);
        assert_eq!(whole.shards(), COMMISSIONS_TALLY_SHARDS);
        assert_eq!(Key::tally(&a, &whole, 0).sk, "TALLY#commissions");
        assert_eq!(Key::tally(&a, &whole, 3).sk, "TALLY#commissions#shard#3");
        let partners = Tally::commissions(Some(&b), None);
        assert_eq!(partners.shards(), PARTNER_STATS_SHARDS);
        assert_eq!(
            Key::tally(&a, &partners, 0).sk,
            "TALLY#commissions#partner#68f76721000000000000000b",
            "a partner's count from before it was sharded stays on shard 0"
        );
        for single in [
            Tally::partners(),
            Tally::partners_in_group(&b),
            Tally::campaigns(),
            Tally::commissions(None, Some(&b)),
            Tally::payouts(None),
            Tally::payouts(Some(&b)),
            Tally::referrals(Some(&b), Some("active")),
        ] {
            assert_eq!(single.shards(), 1, "{single:?}");
        }
    }

    #[test]
    fn partner_stats_shards_are_the_partner_item_and_items_the_partner_list_never_reads() {
        let (a, p) = ids();
        assert_eq!(Key::partner_stats(&a, &p, 0), Key::partner(&a, &p));
        let (_, values) = Listing::partners(&a).key_condition();
        let prefix = values[":prefix"].as_s().unwrap();
        assert!(Key::partner(&a, &p).sk.starts_with(prefix.as_str()));
        for shard in 1..PARTNER_STATS_SHARDS {
            let key = Key::partner_stats(&a, &p, shard);
            assert_eq!(key.pk, Key::partner(&a, &p).pk);
            assert_eq!(
                key.sk,
                format!("PARTNER_STATS#68f76721000000000000000b#{shard}")
            );
            assert!(!key.sk.starts_with(prefix.as_str()), "{key:?}");
        }
        assert_eq!(
            COMMISSIONS_TALLY_SHARDS % PARTNER_STATS_SHARDS,
            0,
            "sales on different partner shards stay apart on the account's tally"
        );
    }

    #[test]
    fn a_partners_click_days_are_one_range_of_its_account_and_no_other_partners() {
        let (a, p) = ids();
        let other = Id::parse("68f76721000000000000000c").unwrap();
        let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
        let (pk, low, high) = Key::click_days(&a, &p, day("2026-01-31"), day("2026-02-01"));
        let inside = |key: &Key| key.pk == pk && low <= key.sk && key.sk <= high;
        for shard in 0..CLICK_DAY_SHARDS {
            assert!(inside(&Key::click_day(&a, &p, day("2026-01-31"), shard)));
            assert!(inside(&Key::click_day(&a, &p, day("2026-02-01"), shard)));
            assert!(!inside(&Key::click_day(&a, &p, day("2026-01-30"), shard)));
            assert!(!inside(&Key::click_day(&a, &p, day("2026-02-02"), shard)));
            assert!(!inside(&Key::click_day(
                &a,
                &other,
                day("2026-02-01"),
                shard
            )));
        }
        assert!(!inside(&Key::click(&a, &p)));
    }

    #[test]
    fn group_keys_fall_inside_the_group_collection() {
        let (a, g) = ids();
        let key = Key::partner_group(&a, &g);
        let groups = Collection::partner_groups(&a);
        assert_eq!(key.pk, groups.pk);
        assert!(key.sk.starts_with(groups.sk_prefix));
    }

    #[test]
    fn api_keys_fall_inside_the_key_collection_and_nothing_else_does() {
        let (a, k) = ids();
        let key = Key::api_key(&a, &k);
        let keys = Collection::api_keys(&a);
        assert_eq!(key.pk, keys.pk);
        assert!(key.sk.starts_with(keys.sk_prefix));
        for other in [
            Key::account(&a),
            Key::partner_group(&a, &k),
            Key::unique(&a, UniqueValue::Event("KEY#x")),
            Key::tally(&a, &Tally::partners(), 0),
        ] {
            assert!(!other.sk.starts_with(keys.sk_prefix), "{other:?}");
        }
    }

    #[test]
    fn unique_values_ignore_case_except_stripe_ids() {
        let (a, _) = ids();
        assert_eq!(
            Key::unique(&a, UniqueValue::PartnerEmail("Ann@Example.com")),
            Key::unique(&a, UniqueValue::PartnerEmail("ann@example.com"))
        );
        assert_eq!(
            Key::unique(&a, UniqueValue::LinkCode("ANN")),
            Key::unique(&a, UniqueValue::LinkCode("ann"))
        );
        assert_ne!(
            Key::unique(&a, UniqueValue::LinkCode("ann")),
            Key::unique(&a, UniqueValue::PromoCode("ann"))
        );
        assert_ne!(
            Key::unique(&a, UniqueValue::StripeCustomer("cus_A")),
            Key::unique(&a, UniqueValue::StripeCustomer("cus_a"))
        );
    }

    #[test]
    fn a_time_range_is_never_continued_from_outside_it() {
        let (a, _) = ids();
        let at = |s| DateTime::from_timestamp(s, 0).unwrap();
        let listing = Listing::commissions(&a).created_between(Some(at(2_000)), Some(at(3_000)));
        let before = Id::first_at(at(1_000));
        let inside = Id::first_at(at(2_500));
        let after = Id::first_at(at(4_000));
        assert_eq!(listing.continue_after(&before), Continuation::FromStart);
        assert_eq!(
            listing.continue_after(&inside),
            Continuation::After(listing.start_after(&inside))
        );
        assert_eq!(listing.continue_after(&after), Continuation::Exhausted);
        assert_eq!(
            Listing::commissions(&a).continue_after(&after),
            Continuation::After(Listing::commissions(&a).start_after(&after))
        );
    }

    #[test]
    fn a_listing_continues_after_the_item_it_lists() {
        let (a, p) = ids();
        let referral = Id::parse("68f76721000000000000000c").unwrap();
        let entry = IndexEntry::referral_by_partner(&a, &p, &referral);
        let start = Listing::referrals_of_partner(&a, &p).start_after(&referral);
        assert_eq!(start["gsi1pk"].as_s().unwrap(), &entry.pk);
        assert_eq!(start["gsi1sk"].as_s().unwrap(), &entry.sk);
        assert_eq!(
            start["sk"].as_s().unwrap(),
            &Key::referral(&a, &referral).sk
        );
    }
}
