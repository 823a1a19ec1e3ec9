//! What a partner reads in their portal, once their portal session is
//! verified (the HTTP layer's `PortalCaller`): always the session's own
//! partner, whose id comes from the session, never from the request.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use ledger_core::model::{
    Account, Campaign, ClickDay, Commission, DayRange, Earned, Id, MonthEarnings, MonthRange,
    Partner, Payout, Period, Referral, earnings,
};
use ledger_store::commissions::{self, CommissionFilter};
use ledger_store::payouts::{self, PayoutFilter};
use ledger_store::{Entity, FilteredList, PageRequest, Store, campaigns, clicks, referrals};

use crate::Error;

/// The most commissions one earnings read sums: a partner's commissions of
/// the last 24 months are read whole, up to this many.
pub const MAX_EARNINGS_READ: usize = 10_000;

/// One page of a partner's list and the list's size.
pub struct Listed<T> {
    pub items: Vec<T>,
    pub count: u64,
    /// Whether items follow this page.
    pub more: bool,
}

impl<T> Listed<T> {
    /// The id of the page's last item when items follow it: where the next page starts.
    pub fn next_after(&self, id: impl Fn(&T) -> &Id) -> Option<Id> {
        self.items
            .last()
            .filter(|_| self.more)
            .map(|last| id(last).clone())
    }
}

/// The campaign the partner's program is: theirs, else the account's default.
pub async fn campaign(
    store: &Store,
    account: &Account,
    partner: &Partner,
) -> Result<Option<Campaign>, Error> {
    let Some(id) = account.campaign_for(partner.campaign_id.as_ref()) else {
        return Ok(None);
    };
    Ok(store.read(&campaigns::at(&account.id, id)).await?)
}

/// One page of the partner's referrals, newest last, each with whether its
/// customer's email is hidden: by the referral's campaign, else the
/// program's; a campaign that is gone hides it.
pub async fn referrals(
    store: &Store,
    account: &Account,
    partner: &Partner,
    request: PageRequest<'_>,
) -> Result<Listed<(Referral, bool)>, Error> {
    let list = referrals::list(&account.id, Some(&partner.id), None).filtered();
    let page: Listed<Referral> = listed(store, &account.id, &list, request).await?;
    let program = account.campaign_for(partner.campaign_id.as_ref());
    let campaign_of = |referral: &Referral| referral.campaign_id.as_ref().or(program).cloned();
    let wanted: BTreeSet<Id> = page.items.iter().filter_map(campaign_of).collect();
    let reads: Vec<_> = wanted
        .iter()
        .map(|id| campaigns::at(&account.id, id))
        .collect();
    let hides: BTreeMap<Id, bool> = wanted
        .iter()
        .cloned()
        .zip(store.read(&reads).await?)
        .map(|(id, campaign)| (id, campaign.is_none_or(|c| c.hide_emails)))
        .collect();
    let items = page
        .items
        .into_iter()
        .map(|referral| {
            let hidden = campaign_of(&referral).is_some_and(|id| hides[&id]);
            (referral, hidden)
        })
        .collect();
    Ok(Listed {
        items,
        count: page.count,
        more: page.more,
    })
}

/// One page of the partner's commissions, oldest first.
pub async fn commissions(
    store: &Store,
    account: &Id,
    partner: &Partner,
    request: PageRequest<'_>,
) -> Result<Listed<Commission>, Error> {
    let filter = CommissionFilter {
        partner: Some(partner.id.clone()),
        ..CommissionFilter::default()
    };
    listed(
        store,
        account,
        &commissions::list(account, &filter),
        request,
    )
    .await
}

/// One page of the partner's payouts, oldest period first.
pub async fn payouts(
    store: &Store,
    account: &Id,
    partner: &Partner,
    request: PageRequest<'_>,
) -> Result<Listed<Payout>, Error> {
    let filter = PayoutFilter {
        partner: Some(partner.id.clone()),
        ..PayoutFilter::default()
    };
    listed(store, account, &payouts::list(account, &filter), request).await
}

/// One page of `list` as `E`s, with the list's size.
async fn listed<E: Entity>(
    store: &Store,
    account: &Id,
    list: &FilteredList,
    request: PageRequest<'_>,
) -> Result<Listed<E>, Error> {
    let (page, count) = store.counted_page(account, list, request).await?;
    let page = page.entities::<E>()?;
    Ok(Listed {
        items: page.items,
        count,
        more: page.more,
    })
}

/// The partner's clicks on each day of `range`.
pub async fn clicks(
    store: &Store,
    account: &Id,
    partner: &Partner,
    range: DayRange,
) -> Result<Vec<ClickDay>, Error> {
    Ok(clicks::days(store, account, &partner.id, range).await?)
}

/// The partner's earnings in each month of the `months` months up to `now`'s,
/// and whether they are complete: `false` when the range holds more than
/// [`MAX_EARNINGS_READ`] commissions, of which the oldest are summed.
pub async fn earnings(
    store: &Store,
    account: &Id,
    partner: &Partner,
    months: u32,
    now: DateTime<Utc>,
) -> Result<(MonthRange, Vec<MonthEarnings>, bool), Error> {
    let range = MonthRange::ending(Period::of(now), months).map_err(|e| Error::Invalid(vec![e]))?;
    let filter = CommissionFilter {
        partner: Some(partner.id.clone()),
        from: Some(range.first.start()),
        ..CommissionFilter::default()
    };
    let list = commissions::list(account, &filter);
    let page = store
        .page(
            &list.listing,
            PageRequest {
                after: None,
                skip: 0,
                limit: MAX_EARNINGS_READ,
                filter: list.filter,
            },
        )
        .await?
        .entities::<Commission>()?;
    let earned: Vec<Earned> = page.items.iter().map(Earned::from).collect();
    Ok((range, earnings::by_month(range, &earned), !page.more))
}
