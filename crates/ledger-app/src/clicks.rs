//! Clicks: a person following a partner's link (the public redirect, which
//! takes no key), a click the merchant's site reports, and a partner's
//! clicks per day.
//!
//! A link is found by its code through the code's unique-value claim. A
//! partner who is banned or not approved, and a visit the bot rule
//! ([`Visit::bot_sign`]) tells from a person's, are still sent on to the
//! link's destination, but nothing is counted or recorded.

use chrono::Utc;
use ledger_core::model::campaign::DEFAULT_COOKIE_DAYS;
use ledger_core::model::click::{self, BotSign};
use ledger_core::model::{
    Campaign, Click, ClickDay, ClickDraft, DayRange, Id, Link, Partner, Visit,
};
use ledger_store::unique::Claim;
use ledger_store::{Found, Store, UniqueValue, campaigns, clicks, partners, unique};

use crate::{Error, Session, contended, read_account};

/// Why a visit was not counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotCounted {
    Bot(BotSign),
    /// The partner is banned or not approved.
    PartnerRefused,
}

/// What following a link did: where it leads (with the click's id when one
/// was counted), and the click, or why there is none.
#[derive(Debug)]
pub struct Followed {
    pub destination: String,
    pub click: Result<Click, NotCounted>,
}

/// Follows the link `code` of account `account` for `visit`: 404 (nothing
/// told about which of the two is unknown) when the account has no such
/// link, or the link leads nowhere (no `url`, no campaign website).
pub async fn follow(
    store: &Store,
    account: &Id,
    code: &str,
    visit: &Visit<'_>,
) -> Result<Followed, Error> {
    let unknown = || Error::NotFound("link");
    if !ledger_core::model::partner::check_code("code", code, &mut Vec::new()) {
        return Err(unknown());
    }
    let (found, claim) = read_account(
        store,
        account,
        unique::at(account, UniqueValue::LinkCode(code)),
    )
    .await?;
    if found.is_none() {
        return Err(unknown());
    }
    let (partner, link, campaign) = resolve(store, account, claim, code)
        .await?
        .ok_or_else(unknown)?;
    let website = campaign.as_ref().and_then(|c| c.website_url.as_deref());
    let target = click::target(&link, website).ok_or_else(unknown)?;
    let click = counted(account, &partner, &link, campaign.as_ref(), visit, None);
    let destination =
        click::destination(target, click.as_ref().ok().map(|c| &c.id)).ok_or_else(unknown)?;
    if let Ok(click) = &click {
        save(store, account, click).await?;
    }
    Ok(Followed { destination, click })
}

/// Records the click the merchant's site reports (`draft`), seen as
/// `visit` (the draft's own user agent and IP address take precedence).
pub async fn report(
    session: &impl Session,
    store: &Store,
    draft: ClickDraft,
    visit: Visit<'_>,
) -> Result<Result<Click, NotCounted>, Error> {
    draft.check().map_err(Error::Invalid)?;
    let (account, claim) = session
        .read(
            store,
            unique::at(session.account_id(), UniqueValue::LinkCode(&draft.code)),
        )
        .await?;
    let (partner, link, campaign) = resolve(store, &account.id, claim, &draft.code)
        .await?
        .ok_or_else(|| Error::invalid("code", "no partner has this link code"))?;
    let visit = Visit {
        user_agent: draft.user_agent.as_deref().or(visit.user_agent),
        ip: draft.ip.as_deref().or(visit.ip),
        ..visit
    };
    let click = counted(
        &account.id,
        &partner,
        &link,
        campaign.as_ref(),
        &visit,
        draft.landing_url.clone(),
    );
    if let Ok(click) = &click {
        save(store, &account.id, click).await?;
    }
    Ok(click)
}

/// The partner `partner`'s clicks on each day of `range`.
pub async fn days(
    session: &impl Session,
    store: &Store,
    partner: &Id,
    range: DayRange,
) -> Result<Vec<ClickDay>, Error> {
    let (account, found) = session
        .read(store, partners::at(session.account_id(), partner))
        .await?;
    found.found()?;
    Ok(clicks::days(store, &account.id, partner, range).await?)
}

/// The partner holding `claim` on link code `code`, the link, and the
/// partner's campaign: `None` when no partner has the link.
async fn resolve(
    store: &Store,
    account: &Id,
    claim: Option<Claim>,
    code: &str,
) -> Result<Option<(Partner, Link, Option<Campaign>)>, Error> {
    let Some(claim) = claim else {
        return Ok(None);
    };
    let Some(partner) = partners::find(store, account, &claim.holder).await? else {
        return Ok(None);
    };
    let Some(link) = click::link(&partner, code).cloned() else {
        return Ok(None);
    };
    let campaign = match &partner.campaign_id {
        Some(campaign) => store.read(&campaigns::at(account, campaign)).await?,
        None => None,
    };
    Ok(Some((partner, link, campaign)))
}

/// The click `visit` makes on `partner`'s `link`, or why it is not counted.
fn counted(
    account: &Id,
    partner: &Partner,
    link: &Link,
    campaign: Option<&Campaign>,
    visit: &Visit<'_>,
    landing_url: Option<String>,
) -> Result<Click, NotCounted> {
    if partner.refusal().is_some() {
        return Err(NotCounted::PartnerRefused);
    }
    if let Some(sign) = visit.bot_sign() {
        return Err(NotCounted::Bot(sign));
    }
    let days = campaign.map_or(DEFAULT_COOKIE_DAYS, |c| c.cookie_duration);
    Ok(Click::new(
        account,
        partner,
        link,
        days,
        visit,
        landing_url,
        Utc::now(),
    ))
}

/// Writes `click` and its counts in one transaction, sent again while it
/// only loses races (nothing of a cancelled one was written). The click
/// item found already written means an earlier send landed: counted once.
async fn save(store: &Store, account: &Id, click: &Click) -> Result<(), Error> {
    contended(|| async {
        match store.transact(clicks::record(store, account, click)?).await {
            Err(e) if e.failed_condition(0) => Ok(()),
            done => Ok(done?),
        }
    })
    .await
}
