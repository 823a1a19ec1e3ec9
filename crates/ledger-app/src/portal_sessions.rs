//! Portal sessions: a merchant minting a short-lived token for one of its
//! partners. The plaintext token exists only in the answer; a banned
//! partner gets none.

use chrono::Utc;
use ledger_core::model::{Id, PortalSession, PortalSessionDraft};
use ledger_store::{Condition, Found, Key, Store, partners, portal_sessions};

use crate::{Error, Session, contended};

/// Mints a session of partner `id`, and answers it with its token.
pub async fn mint(
    session: &impl Session,
    store: &Store,
    id: &Id,
    draft: PortalSessionDraft,
) -> Result<(PortalSession, String), Error> {
    contended(|| async {
        let (account, partner) = session
            .read(store, partners::at(session.account_id(), id))
            .await?;
        let partner = partner.found()?;
        if partner.banned {
            return Err(Error::conflict(
                "partner_banned",
                "a banned partner gets no portal session",
            ));
        }
        let (minted, token) = PortalSession::mint(&account.id, &partner.id, &draft, Utc::now())
            .map_err(|e| Error::Invalid(vec![e]))?;
        store
            .transact(vec![
                store.check(
                    &Key::partner(&account.id, &partner.id),
                    Condition::present(),
                )?,
                portal_sessions::insert(store, &minted)?,
            ])
            .await?;
        Ok((minted, token))
    })
    .await
}
