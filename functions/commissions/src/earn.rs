//! Creating a commission: find the earner, tell a replay from a new request,
//! price a sale from stored facts, and write it all in one transaction.
//!
//! Reads: the first BatchGetItem takes the key, the account, the referral
//! (or the custom commission's partner) and the idempotency keys; the
//! second takes the partner, the campaign and the groups that may price the
//! sale. Only a partner who moved groups since the referral last saw them
//! costs a third read, once, after which the referral knows the new group.

use chrono::Utc;
use partner_ledger::http::scopes::CommissionsWrite;
use partner_ledger::http::{ApiError, Caller};
use partner_ledger::model::{
    Account, Campaign, ChargeFacts, Commission, CommissionDraft, CommissionRequest, Earner,
    Earning, Id, Partner, PartnerGroup, Priced, Referral, RuleSource, applicable_rules,
};
use partner_ledger::store::commissions::{self, SaleFacts};
use partner_ledger::store::{
    Item, Key, Store, campaigns, partner_groups, partners, referrals, unique,
};
use partner_ledger::validation::{FieldError, under};
use partner_ledger::views::CampaignView;

use crate::views::snapshot;

const WRAPPER: &str = "commission";

/// What a create did.
pub enum Created {
    New(Commission),
    /// The idempotency key was used before by this same request.
    Replayed(Commission),
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Validation(under(vec![FieldError::new(field, message)], WRAPPER))
}

/// One attempt at creating the commission `draft` asks for; run it under
/// `retry_contended`, since a lost race is settled by reading again.
pub async fn create(
    store: &Store,
    caller: &Caller<CommissionsWrite>,
    draft: &CommissionDraft,
) -> Result<Created, ApiError> {
    let account_id = caller.account_id();
    let earner_key = match (&draft.referral_id, &draft.partner_id) {
        (Some(referral), _) => Some(Key::referral(account_id, referral)),
        (None, Some(partner)) => Some(Key::partner(account_id, partner)),
        (None, None) => None,
    };
    let (event, payment) = draft.idempotency_keys();
    let claim_keys: Vec<Key> = commissions::idempotency_keys(event, payment)
        .into_iter()
        .map(|value| Key::unique(account_id, value))
        .collect();
    let mut wanted: Vec<&Key> = claim_keys.iter().collect();
    wanted.extend(earner_key.as_ref());
    let (account, mut found) = caller.read_all(store, &wanted).await?;
    let earner = earner_key.and_then(|_| found.pop().flatten());
    let request = draft
        .clone()
        .check(account.currency, Utc::now())
        .map_err(|errors| ApiError::Validation(under(errors, WRAPPER)))?;
    if let Some(claim) = found.into_iter().flatten().next() {
        return replay(store, &account.id, claim, &request).await;
    }
    let now = Utc::now();
    let commission = match &request.earning {
        Earning::Sale { .. } => {
            let referral = earner
                .map(referrals::from_item)
                .transpose()?
                .ok_or_else(|| invalid("referral_id", "no referral with this id"))?;
            let sale = Sale::read(store, &account, &referral).await?;
            let priced = sale.price(store, &account, &referral, &request).await?;
            let commission = Commission::earn(
                &request,
                Earner {
                    partner_id: &sale.partner.id,
                    campaign_id: referral.campaign_id.as_ref(),
                    referral: Some(&referral),
                },
                priced.as_ref().map(|(p, _)| p.clone()),
                snapshot(&sale.partner, sale.campaign_view(&account), Some(&referral)),
                now,
            );
            let facts = SaleFacts {
                referral: &referral,
                priced_by_group: priced.as_ref().and_then(|(_, group)| group.as_ref()),
                priced_from_figures: priced.is_some(),
            };
            commissions::create(store, &account.id, &commission, &sale.partner, Some(facts))
                .await?;
            commission
        }
        Earning::Custom {
            campaign: named, ..
        } => {
            let partner = earner
                .map(partners::from_item)
                .transpose()?
                .ok_or_else(|| invalid("partner_id", "no partner with this id"))?;
            may_earn(&partner, "partner_id")?;
            let campaign_id = named.as_ref().or(partner.campaign_id.as_ref());
            let campaign = match campaign_id {
                Some(id) => campaigns::find(store, &account.id, id).await?,
                None => None,
            };
            if named.is_some() && campaign.is_none() {
                return Err(invalid("campaign_id", "no campaign with this id"));
            }
            let view = campaign.map(|c| CampaignView::in_account(c, &account));
            let commission = Commission::earn(
                &request,
                Earner {
                    partner_id: &partner.id,
                    campaign_id,
                    referral: None,
                },
                None,
                snapshot(&partner, view, None),
                now,
            );
            commissions::create(store, &account.id, &commission, &partner, None).await?;
            commission
        }
    };
    Ok(Created::New(commission))
}

/// The commission that claimed the idempotency key before: the same request
/// gets it back, a different one is a conflict.
async fn replay(
    store: &Store,
    account: &Id,
    claim: Item,
    request: &CommissionRequest,
) -> Result<Created, ApiError> {
    let claim = unique::read(claim)?;
    let original = store
        .get(&Key::commission(account, &claim.holder))
        .await?
        .map(commissions::from_item)
        .transpose()?
        .ok_or_else(|| {
            partner_ledger::store::StoreError::Corrupt(format!(
                "idempotency key held by missing commission {}",
                claim.holder
            ))
        })?;
    if original.fingerprint == request.fingerprint {
        Ok(Created::Replayed(original))
    } else {
        Err(ApiError::conflict(
            "idempotency_conflict",
            format!(
                "this event_id or stripe_payment_id already created commission {} from a different request",
                original.id
            ),
        ))
    }
}

/// A banned or unapproved partner earns nothing.
fn may_earn(partner: &Partner, field: &str) -> Result<(), ApiError> {
    match partner.refusal() {
        Some(reason) => Err(invalid(
            field,
            format!("{reason}, so it cannot earn commissions"),
        )),
        None => Ok(()),
    }
}

/// What a sale is priced with: the referral's partner and campaign, the
/// partner's group and the account's default group, as read.
struct Sale {
    partner: Partner,
    campaign: Option<Campaign>,
    hinted_group: Option<PartnerGroup>,
    default_group: Option<PartnerGroup>,
}

impl Sale {
    async fn read(store: &Store, account: &Account, referral: &Referral) -> Result<Self, ApiError> {
        let account_id = &account.id;
        let keys: [Option<Key>; 4] = [
            Some(Key::partner(account_id, &referral.partner_id)),
            referral
                .campaign_id
                .as_ref()
                .map(|id| Key::campaign(account_id, id)),
            referral
                .partner_group_id
                .as_ref()
                .map(|id| Key::partner_group(account_id, id)),
            account
                .default_group_id
                .as_ref()
                .map(|id| Key::partner_group(account_id, id)),
        ];
        let mut found = store
            .get_many(&keys.iter().flatten().collect::<Vec<_>>())
            .await?
            .into_iter();
        let [partner, campaign, hinted, default] =
            keys.map(|key| key.and_then(|_| found.next().flatten()));
        let partner = partner
            .map(partners::from_item)
            .transpose()?
            .ok_or_else(|| invalid("referral_id", "the referral's partner no longer exists"))?;
        may_earn(&partner, "referral_id")?;
        let group = |item: Option<Item>| item.map(partner_groups::from_item).transpose();
        Ok(Self {
            campaign: campaign.map(campaigns::from_item).transpose()?,
            hinted_group: group(hinted)?,
            default_group: group(default)?,
            partner,
        })
    }

    /// Prices the sale unless the request gave the commission: the rules
    /// that apply evaluated against the customer's and partner's history.
    /// Also returns the partner's group when it (not the campaign) priced.
    async fn price(
        &self,
        store: &Store,
        account: &Account,
        referral: &Referral,
        request: &CommissionRequest,
    ) -> Result<Option<(Priced, Option<Id>)>, ApiError> {
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
            invalid(
                "sale_amount",
                "no partner group prices this sale: create a partner group or give the commission amount",
            )
        })?;
        let facts = ChargeFacts {
            charge_amount: *sale_amount,
            charged_at: request.occurred_at,
            currency: request.currency,
            acquired_at: referral.acquired_at,
            paid_charges: u32::try_from(referral.paid_charges).unwrap_or(u32::MAX),
            partner_ltv: self.partner.stats.ltv_total,
            qualified_customers: self.partner.stats.qualified_customers,
        };
        let priced = pricing.price(&facts);
        let by_group =
            (priced.source != RuleSource::Campaign).then(|| self.partner.group_id.clone());
        Ok(Some((priced, by_group)))
    }

    /// The partner's own group: from the second read when the referral's
    /// hint was right (or it is the default group), else read now.
    async fn partner_group(
        &self,
        store: &Store,
        account: &Account,
    ) -> Result<Option<PartnerGroup>, ApiError> {
        let own = &self.partner.group_id;
        for group in [&self.hinted_group, &self.default_group]
            .into_iter()
            .flatten()
        {
            if &group.id == own {
                return Ok(Some(group.clone()));
            }
        }
        Ok(store
            .get(&Key::partner_group(&account.id, own))
            .await?
            .map(partner_groups::from_item)
            .transpose()?)
    }

    fn campaign_view(&self, account: &Account) -> Option<CampaignView> {
        self.campaign
            .clone()
            .map(|c| CampaignView::in_account(c, account))
    }
}
