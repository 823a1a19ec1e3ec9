//! Earning a commission on a customer's payment, wherever the payment is
//! reported (the commissions API, a Stripe webhook, a billing system's sale
//! event): read what prices the sale, price it from stored facts, and write
//! it all in one transaction. Also tells a replayed request from a new one.
//!
//! A sale paid in another currency than the account's is converted first,
//! at the reference rate in force on its date (`model::fx_rate`), and then
//! priced like any other: in the base currency.
//!
//! Reads: the caller has read the account, the idempotency keys and either
//! the referral or the claim that routes the customer to it. One more
//! BatchGetItem takes the partner, the campaign and the groups that may
//! price the sale (and the referral, when only its route is known, and the
//! rates of the sale's last eight days, when it needs converting). Only a
//! partner who moved groups since the route last saw them costs another
//! read, once, after which the route knows the new group.

use chrono::Utc;

use crate::Error;
use ledger_core::model::fx_rate::{MAX_RATE_AGE_DAYS, candidate_days};
use ledger_core::model::{
    Account, Actor, Campaign, ChargeFacts, Commission, CommissionRequest, Earner, Earning,
    EventType, FxRates, Id, Partner, PartnerGroup, Priced, Referral, RuleSource, applicable_rules,
};
use ledger_core::views::CampaignView;
use ledger_core::views::commission::snapshot;
use ledger_store::commissions::{self, SaleFacts};
use ledger_store::unique::{Claim, SaleRoute};
use ledger_store::{
    Key, Ref, Store, StoreError, campaigns, fx_rates, partner_groups, partner_stats, referrals,
};

/// The paying customer, as far as the first read found them.
pub enum Customer {
    /// The referral itself was read.
    Read(Referral),
    /// A claim (the customer's Stripe id or email) named the referral and its route.
    Routed {
        referral: Id,
        route: SaleRoute,
        claim: Ref<Claim>,
    },
}

impl Customer {
    /// The paying customer's referral.
    pub fn referral_id(&self) -> &Id {
        match self {
            Customer::Read(referral) => &referral.id,
            Customer::Routed { referral, .. } => referral,
        }
    }
}

/// Why `partner` may not earn commissions, if it may not.
pub fn refusal(partner: &Partner) -> Option<String> {
    partner
        .refusal()
        .map(|reason| format!("{reason}, so it cannot earn commissions"))
}

/// What an earn did.
pub enum Earned {
    Commission(Box<Commission>),
    /// The referral's partner may not earn (banned, unapproved, gone): nothing was written.
    Refused(String),
}

/// Earns the sale commission `request` asks for from `customer`'s payment.
/// Run it under `contended`: a lost race is settled by reading again.
/// `NotFound("referral")` when a routed customer's referral is gone.
pub async fn earn_sale(
    store: &Store,
    account: &Account,
    actor: &Actor,
    customer: Customer,
    request: &CommissionRequest,
) -> Result<Earned, Error> {
    let sale = match Sale::read(store, account, customer, request).await? {
        Ok(sale) => sale,
        Err(reason) => return Ok(Earned::Refused(reason)),
    };
    let request = &sale.in_base(account, request)?;
    let priced = sale.price(store, account, request).await?;
    let commission = Commission::earn(
        request,
        Earner {
            partner_id: &sale.partner.id,
            campaign_id: sale.referral.campaign_id.as_ref(),
            referral: Some(&sale.referral),
        },
        priced.as_ref().map(|(p, _)| p.clone()),
        snapshot(
            &sale.partner,
            sale.campaign_view(account),
            Some(&sale.referral),
        ),
        Utc::now(),
    );
    let stale_route = sale
        .route_claim
        .as_ref()
        .filter(|_| sale.route_group.as_ref() != Some(&sale.partner.group_id));
    let facts = SaleFacts {
        referral: &sale.referral,
        priced_by_group: priced.as_ref().and_then(|(_, group)| group.as_ref()),
        figures_read: priced.as_ref().map(|(p, _)| p.figures_read),
        stale_route,
        statistics: &sale.statistics,
    };
    let created = crate::events::of_commissions(
        EventType::CommissionCreated,
        &account.id,
        actor,
        commission.created_at,
        &[(None, &commission)],
    )?;
    commissions::create(
        store,
        &account.id,
        &commission,
        &sale.partner,
        Some(facts),
        &created,
    )
    .await?;
    Ok(Earned::Commission(Box::new(commission)))
}

/// The commission that holds the idempotency claim `claim`; a claim naming
/// no commission of the account is a corrupt store.
pub async fn claimed_commission(
    store: &Store,
    account: &Id,
    claim: &Claim,
) -> Result<Commission, Error> {
    let commission = store
        .read(&commissions::at(account, &claim.holder))
        .await?
        .ok_or_else(|| {
            StoreError::Corrupt(format!(
                "idempotency key held by missing commission {}",
                claim.holder
            ))
        })?;
    Ok(commission)
}

/// The commission that claimed an idempotency key before, provided the
/// request that claimed it had `fingerprint`: a different request under the
/// same key is a conflict.
pub async fn replay(
    store: &Store,
    account: &Id,
    claim: &Claim,
    fingerprint: &str,
) -> Result<Commission, Error> {
    let original = claimed_commission(store, account, claim).await?;
    if claim.fingerprint.as_deref() == Some(fingerprint) {
        Ok(original)
    } else {
        Err(Error::conflict(
            "idempotency_conflict",
            format!(
                "this idempotency key (event_id or payment id) already served commission {} for a different request",
                original.id
            ),
        ))
    }
}

/// What a sale is priced with: the referral, its partner and campaign, the
/// partner's group (as hinted) and the account's default group, as read.
struct Sale {
    referral: Referral,
    partner: Partner,
    /// What each shard of the partner's statistics held.
    statistics: partner_stats::Shards,
    campaign: Option<Campaign>,
    hinted_group: Option<PartnerGroup>,
    default_group: Option<PartnerGroup>,
    /// The claim the referral was found through, and the group it hinted.
    route_claim: Option<Ref<Claim>>,
    route_group: Option<Id>,
    /// The reference rates in force on the sale's date, when it needs converting.
    rates: Option<FxRates>,
}

impl Sale {
    /// Reads the sale's facts, or why the partner may not earn on it.
    async fn read(
        store: &Store,
        account: &Account,
        customer: Customer,
        request: &CommissionRequest,
    ) -> Result<Result<Self, String>, Error> {
        let account_id = &account.id;
        let referral_id = customer.referral_id().clone();
        let (known, route, route_claim) = match customer {
            Customer::Read(referral) => {
                let route = SaleRoute::of(&referral);
                (Some(referral), route, None)
            }
            Customer::Routed { route, claim, .. } => (None, route, Some(claim)),
        };
        let sale_day = request.occurred_at.date_naive();
        let rate_days: Vec<Key> = if request.needs_conversion(account.currency) {
            candidate_days(sale_day).map(Key::fx_rates).collect()
        } else {
            Vec::new()
        };
        let group = |id: &Option<Id>| id.as_ref().map(|id| partner_groups::at(account_id, id));
        let (referral, partner, campaign, (hinted_group, default_group), rates) = store
            .read(&(
                known
                    .is_none()
                    .then(|| Key::referral(account_id, &referral_id)),
                partner_stats::read(account_id, &route.partner_id),
                route
                    .campaign_id
                    .as_ref()
                    .map(|id| Key::campaign(account_id, id)),
                (
                    group(&route.partner_group_id),
                    group(&account.default_group_id),
                ),
                rate_days,
            ))
            .await?;
        let rates = rates
            .into_iter()
            .flatten()
            .next()
            .map(fx_rates::from_item)
            .transpose()?;
        let referral = match known {
            Some(referral) => referral,
            None => referral
                .flatten()
                .map(referrals::from_item)
                .transpose()?
                .ok_or(Error::NotFound("referral"))?,
        };
        let Some((partner, statistics)) = partner else {
            return Ok(Err("the referral's partner no longer exists".into()));
        };
        if let Some(reason) = refusal(&partner) {
            return Ok(Err(reason));
        }
        Ok(Ok(Self {
            campaign: campaign.flatten().map(campaigns::from_item).transpose()?,
            hinted_group: hinted_group.flatten(),
            default_group: default_group.flatten(),
            route_claim,
            route_group: route.partner_group_id,
            rates,
            referral,
            partner,
            statistics,
        }))
    }

    /// `request` in the account's base currency: as it is when it already
    /// is, else converted at the rates read. Without a rate for the sale's
    /// currency, a retryable 409: nothing is guessed.
    fn in_base(
        &self,
        account: &Account,
        request: &CommissionRequest,
    ) -> Result<CommissionRequest, Error> {
        if !request.needs_conversion(account.currency) {
            return Ok(request.clone());
        }
        let (from, to) = (request.currency, account.currency);
        let conversion = self
            .rates
            .as_ref()
            .and_then(|rates| rates.conversion(from, to))
            .ok_or_else(|| {
                Error::conflict(
                    "fx_rate_unavailable",
                    format!(
                        "no {from}/{to} reference rate is published for {} or the {MAX_RATE_AGE_DAYS} days before it; send the sale again once one is (PUT /2026-02-01/fx_rates/{{date}}.json)",
                        request.occurred_at.date_naive()
                    ),
                )
            })?;
        request.clone().in_base(conversion).map_err(Error::Invalid)
    }

    /// Prices the sale unless the request gave the commission: the rules
    /// that apply evaluated against the customer's and partner's history.
    /// Also returns the partner's group when it (not the campaign) priced.
    async fn price(
        &self,
        store: &Store,
        account: &Account,
        request: &CommissionRequest,
    ) -> Result<Option<(Priced, Option<Id>)>, Error> {
        let Earning::Sale {
            sale_amount,
            commission: None,
            ..
        } = &request.earning
        else {
            return Ok(None);
        };
        let own_group = self.partner_group(store, account).await?;
        let pricing = applicable_rules(
            self.campaign.as_ref(),
            own_group.as_ref(),
            self.default_group.as_ref(),
        )
        .ok_or_else(|| {
            Error::invalid(
                "sale_amount",
                "no partner group prices this sale: create a partner group or give the commission amount",
            )
        })?;
        let facts = ChargeFacts {
            charge_amount: *sale_amount,
            charged_at: request.occurred_at,
            currency: request.currency,
            acquired_at: self.referral.acquired_at,
            paid_charges: u32::try_from(self.referral.paid_charges).unwrap_or(u32::MAX),
            partner_ltv: self.partner.stats.ltv_total,
            qualified_customers: self.partner.stats.qualified_customers,
        };
        let priced = pricing.price(&facts);
        let by_group =
            (priced.source != RuleSource::Campaign).then(|| self.partner.group_id.clone());
        Ok(Some((priced, by_group)))
    }

    /// The partner's own group: from the read when the hint was right (or
    /// it is the default group), else read now.
    async fn partner_group(
        &self,
        store: &Store,
        account: &Account,
    ) -> Result<Option<PartnerGroup>, Error> {
        let own = &self.partner.group_id;
        for group in [&self.hinted_group, &self.default_group]
            .into_iter()
            .flatten()
        {
            if &group.id == own {
                return Ok(Some(group.clone()));
            }
        }
        Ok(store.read(&partner_groups::at(&account.id, own)).await?)
    }

    fn campaign_view(&self, account: &Account) -> Option<CampaignView> {
        self.campaign
            .clone()
            .map(|c| CampaignView::in_account(c, account))
    }
}
