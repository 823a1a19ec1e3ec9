//! Arbitrary books for the payout run's property tests: pages of pending
//! commissions, and payable commissions grouped per partner and currency
//! with the payouts and partners the run would read for them.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::json;

use super::plan::{Group, GroupKey, Payees, PayoutPlan};
use ledger_core::model::{
    Account, Commission, Id, Partner, PartnerStats, Payout, PayoutSlot, Period, RewardUnit,
};
use ledger_core::money::Currency;
use ledger_store::commissions::Payable;

/// When every test run happens.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 14, 12, 0, 0).unwrap()
}

/// The `n`th id: ids sort as their numbers do.
fn id(n: usize) -> Id {
    Id::parse(&format!("{n:024x}")).unwrap()
}

fn account(min_payout: Decimal) -> Account {
    Account {
        id: id(0xacc),
        name: "Books".into(),
        currency: Currency::EUR,
        hold_days: 30,
        min_payout,
        default_group_id: None,
        default_campaign_id: None,
        stripe_webhook_secret: None,
        portal_allowed_origins: Vec::new(),
        portal_hide_earnings: false,
        created_at: now(),
    }
}

fn partner(id: Id) -> Partner {
    Partner {
        email: format!("{id}@example.com"),
        first_name: Some("Ann".into()),
        last_name: None,
        payout_email: None,
        group_id: self::id(0x9),
        campaign_id: None,
        parent_partner_id: None,
        links: Vec::new(),
        promo_codes: Vec::new(),
        approved: true,
        banned: false,
        details: None,
        stats: PartnerStats::default(),
        created_at: now(),
        updated_at: now(),
        version: 0,
        id,
    }
}

/// An amount in cents, from `cents`.
fn amount(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

/// A page of pending commissions in id order: created up to 60 days
/// before [`now`], some flagged, some in units other than cash.
pub fn pending() -> impl Strategy<Value = Vec<Commission>> {
    let commission = (
        0i64..60 * 24,
        any::<bool>(),
        0u8..3,
        0usize..=RewardUnit::OTHER_THAN_CASH.len() * 2,
        -5_000i64..20_000,
    );
    proptest::collection::vec(commission, 0..24).prop_map(|drawn| {
        drawn
            .into_iter()
            .enumerate()
            .map(|(n, (hours_ago, self_referral, fraud, unit, cents))| {
                let unit = RewardUnit::OTHER_THAN_CASH
                    .get(unit)
                    .copied()
                    .unwrap_or(RewardUnit::Cash);
                let fraud = ["no_suspicion", "same_promoter_email", "same_ip_suspicion"]
                    [usize::from(fraud)];
                let created = now() - Duration::hours(hours_ago);
                serde_json::from_value(json!({
                    "id": id(0x1000 + n),
                    "commission_type": "custom",
                    "status": "pending",
                    "payout_status": "not_paid",
                    "partner_id": id(1 + n % 3),
                    "currency": "EUR",
                    "amount": amount(cents).to_string(),
                    "tier": 1,
                    "occurred_at": created,
                    "unit": unit,
                    "notify_promoter": false,
                    "is_self_referral": self_referral && n % 4 == 0,
                    "fraud_check": if n % 5 == 0 { fraud } else { "no_suspicion" },
                    "fingerprint": "",
                    "snapshot": "{}",
                    "created_at": created,
                    "status_updated_at": created,
                    "updated_at": created,
                }))
                .expect("a commission")
            })
            .collect()
    })
}

/// What `plan`'s payout holds once every commission is in.
pub fn total(plan: &PayoutPlan<'_>) -> Decimal {
    plan.payout.amount + plan.commissions.iter().map(|c| c.amount).sum::<Decimal>()
}

/// The groups a batch of the pay phase settles, in key order, with what
/// the run read for them.
#[derive(Debug)]
pub struct Books {
    pub account: Account,
    pub groups: Vec<Group>,
    pub payees: Payees,
}

/// How one group is drawn: its commissions' amounts (clawbacks negative),
/// the attempt its slot is at, and the pending payout already in it
/// (amount, count), if any.
type DrawnGroup = (Vec<Decimal>, u32, Option<(Decimal, u32)>);

impl Books {
    fn of(min_payout: Decimal, drawn: BTreeMap<GroupKey, DrawnGroup>, gone: &[Id]) -> Self {
        let account = account(min_payout);
        let period = Period::of(now());
        let mut payees = Payees::default();
        let mut groups = Vec::new();
        let mut next = 0x100_000;
        for (key, (amounts, attempt, pending)) in drawn {
            let slot = PayoutSlot {
                partner_id: key.0.clone(),
                currency: key.1,
                period,
                attempt,
            };
            let partner = partner(key.0.clone());
            let pending = pending.map(|(amount, count)| Payout {
                amount,
                payment_count: count,
                ..Payout::open(&account.id, &slot, &partner, now() - Duration::days(1))
            });
            if !gone.contains(&key.0) {
                payees.partners.insert(key.0.clone(), partner);
            }
            payees.slots.insert(key.clone(), (slot, pending));
            let commissions = amounts
                .into_iter()
                .map(|amount| {
                    next += 1;
                    Payable {
                        id: id(next),
                        partner_id: key.0.clone(),
                        currency: key.1,
                        amount,
                    }
                })
                .collect();
            groups.push(Group { key, commissions });
        }
        Self {
            account,
            groups,
            payees,
        }
    }

    /// Partner `n + 1`'s commissions of `earned[n]` euros each, for new
    /// payouts, in an account without a minimum payout.
    pub fn earned(earned: &[&[Decimal]]) -> Self {
        let drawn = earned
            .iter()
            .enumerate()
            .map(|(n, amounts)| ((id(n + 1), Currency::EUR), (amounts.to_vec(), 0, None)))
            .collect();
        Self::of(Decimal::ZERO, drawn, &[])
    }
}

/// Up to five partners' groups in two currencies: a few commissions or a
/// few hundred (a payout over several transactions), balances on both
/// sides of `min_payout`, clawbacks, payouts already pending, and partners
/// who are gone.
pub fn books() -> impl Strategy<Value = Books> {
    let currency = prop_oneof![Just(Currency::EUR), Just(Currency::USD)];
    let cents = prop_oneof![
        4 => (-3_000i64..12_000).prop_map(amount),
        1 => Just(amount(-25_000)),
    ];
    let commissions = prop_oneof![
        6 => proptest::collection::vec(cents.clone(), 0..8),
        1 => proptest::collection::vec(cents, 90..260),
    ];
    let pending = proptest::option::weighted(0.3, ((1i64..30_000).prop_map(amount), 1u32..9));
    let group = (commissions, 0u32..3, pending);
    let key = (1usize..=5, currency).prop_map(|(partner, currency)| (id(partner), currency));
    (
        0i64..15_000,
        proptest::option::of(0usize..7),
        proptest::collection::btree_map(key, group, 0..7),
        proptest::collection::vec(1usize..=5, 0..2),
    )
        .prop_map(|(min_payout, at_balance_of, drawn, gone)| {
            let gone: Vec<Id> = gone.into_iter().map(id).collect();
            let mut books = Books::of(amount(min_payout), drawn, &gone);
            // A minimum some group's balance meets exactly, now and then.
            if let Some(group) = at_balance_of.and_then(|i| books.groups.get(i)) {
                let (_, pending) = &books.payees.slots[&group.key];
                let balance = pending.as_ref().map_or(Decimal::ZERO, |p| p.amount)
                    + group.commissions.iter().map(|c| c.amount).sum::<Decimal>();
                if balance > Decimal::ZERO {
                    books.account.min_payout = balance;
                }
            }
            books
        })
}
