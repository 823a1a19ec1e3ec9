//! Campaigns: creating one, which becomes the account's default campaign
//! only when asked, and changing one, its being the default included.

use chrono::Utc;
use ledger_core::model::{Campaign, CampaignChanges, CampaignDraft, Id};
use ledger_store::{Found, Store, Tally, accounts, campaigns, tallies};

use crate::{Error, Session, contended};

/// A campaign as stored, and whether it is the account's default.
pub struct Placed {
    pub campaign: Campaign,
    pub is_default: bool,
}

/// Creates the campaign `draft` describes; with `is_default` it becomes the
/// account's default (the first campaign does not become it otherwise).
pub async fn create(
    session: &impl Session,
    store: &Store,
    draft: CampaignDraft,
) -> Result<Placed, Error> {
    let is_default = draft.is_default;
    let campaign = Campaign::create(draft, Utc::now()).map_err(Error::Invalid)?;
    contended(|| async {
        let (account, ()) = session.read(store, ()).await?;
        let mut writes = vec![campaigns::insert(store, &account.id, &campaign)?];
        writes.extend(tallies::add(
            store,
            &account.id,
            &[Tally::campaigns()],
            &campaign.id,
            1,
        )?);
        if is_default {
            writes.push(accounts::set_default_campaign(
                store,
                &account.id,
                Some(&campaign.id),
                account.default_campaign_id.as_ref(),
            )?);
        }
        Ok(store.transact(writes).await?)
    })
    .await?;
    Ok(Placed {
        campaign,
        is_default,
    })
}

/// Applies `changes` to campaign `id`. `is_default: false` on the default
/// campaign leaves the account without a default.
pub async fn update(
    session: &impl Session,
    store: &Store,
    id: &Id,
    changes: CampaignChanges,
) -> Result<Placed, Error> {
    contended(|| async {
        let (account, campaign) = session
            .read(store, campaigns::at(session.account_id(), id))
            .await?;
        let mut campaign = campaign.found()?;
        let was_default = account.is_default_campaign(id);
        let expected_version = campaign.version;
        campaign
            .apply(changes.clone(), Utc::now())
            .map_err(Error::Invalid)?;
        let mut writes = vec![campaigns::replace(
            store,
            &account.id,
            &campaign,
            expected_version,
        )?];
        if let Some(wanted) = changes.is_default
            && wanted != was_default
        {
            writes.push(accounts::set_default_campaign(
                store,
                &account.id,
                wanted.then_some(id),
                account.default_campaign_id.as_ref(),
            )?);
        }
        store.transact(writes).await?;
        Ok(Placed {
            campaign,
            is_default: changes.is_default.unwrap_or(was_default),
        })
    })
    .await
}
