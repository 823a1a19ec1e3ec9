//! Authentication and scopes.
//!
//! `Caller<S>` is extracted from `Authorization: Bearer <key>` without any I/O.
//! The key is verified in the same strongly consistent BatchGetItem as the
//! route's first read, so a GET costs one round trip and a revoked key stops
//! working at once. Nothing read is handed out before the key checks out.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::error::ApiError;
use crate::model::{Access, Account, ApiKey, ApiToken, Id, Resource, Scope};
use crate::store::{
    FilteredList, Item, Key, Page, PageRequest, Store, accounts, api_keys, tallies,
};

/// The scope a route requires, as a type, so a handler's signature says it.
pub trait RequiredScope: Send + Sync + 'static {
    const SCOPE: Scope;
}

macro_rules! route_scopes {
    ($($marker:ident => $resource:ident : $access:ident),* $(,)?) => {
        /// Route scope markers, one per `<resource>:<access>`.
        pub mod scopes {
            use super::*;
            $(
                pub struct $marker;
                impl RequiredScope for $marker {
                    const SCOPE: Scope = Scope::new(Resource::$resource, Access::$access);
                }
            )*
        }
    };
}

route_scopes! {
    PartnerGroupsRead => PartnerGroups: Read,
    PartnerGroupsWrite => PartnerGroups: Write,
    PartnersRead => Partners: Read,
    PartnersWrite => Partners: Write,
    CampaignsRead => Campaigns: Read,
    CampaignsWrite => Campaigns: Write,
    ReferralsRead => Referrals: Read,
    ReferralsWrite => Referrals: Write,
    CommissionsRead => Commissions: Read,
    CommissionsWrite => Commissions: Write,
    EventsWrite => Events: Write,
    PayoutsRead => Payouts: Read,
    PayoutsWrite => Payouts: Write,
    AccountRead => Account: Read,
    AccountWrite => Account: Write,
    ApiKeysRead => ApiKeys: Read,
    ApiKeysWrite => ApiKeys: Write,
}

/// A caller that presented a well-formed key for a route requiring `S`.
pub struct Caller<S> {
    token: ApiToken,
    scope: PhantomData<S>,
}

impl<S: RequiredScope, State: Sync> FromRequestParts<State> for Caller<S> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &State) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .and_then(|v| ApiToken::parse(v.trim()))
            .ok_or(ApiError::Unauthorized)?;
        Ok(Self {
            token,
            scope: PhantomData,
        })
    }
}

impl<S: RequiredScope> Caller<S> {
    /// The account the key claims. Keys built from it are only read through
    /// [`Caller::read`], which verifies the claim first.
    pub fn account_id(&self) -> &Id {
        &self.token.account_id
    }

    /// Verifies the key and reads the caller's account plus `keys`, all in
    /// one round trip.
    pub async fn read<const N: usize>(
        &self,
        store: &Store,
        keys: [&Key; N],
    ) -> Result<(Account, [Option<Item>; N]), ApiError> {
        let (account, _, items) = self.read_with_key(store, keys).await?;
        Ok((account, items))
    }

    /// [`Caller::read`], also handing out the caller's own verified key: for
    /// routes whose answer depends on what the key holds (managing keys).
    pub async fn read_with_key<const N: usize>(
        &self,
        store: &Store,
        keys: [&Key; N],
    ) -> Result<(Account, ApiKey, [Option<Item>; N]), ApiError> {
        let (account, key, items) = self.verify(store, &keys).await?;
        Ok((
            account,
            key,
            items.try_into().expect("get_many answers every key asked"),
        ))
    }

    /// [`Caller::read`] for a number of keys known only at run time.
    pub async fn read_all(
        &self,
        store: &Store,
        keys: &[&Key],
    ) -> Result<(Account, Vec<Option<Item>>), ApiError> {
        let (account, _, items) = self.verify(store, keys).await?;
        Ok((account, items))
    }

    async fn verify(
        &self,
        store: &Store,
        keys: &[&Key],
    ) -> Result<(Account, ApiKey, Vec<Option<Item>>), ApiError> {
        let account = &self.token.account_id;
        let (key_item, account_item) = (
            Key::api_key(account, &self.token.key_id),
            Key::account(account),
        );
        let mut wanted = Vec::with_capacity(keys.len() + 2);
        wanted.extend([&key_item, &account_item]);
        wanted.extend(keys);
        let mut items = store.get_many(&wanted).await?.into_iter();
        let api_key = items
            .next()
            .flatten()
            .map(api_keys::from_item)
            .transpose()?;
        let account = items
            .next()
            .flatten()
            .map(accounts::from_item)
            .transpose()?;
        match (api_key, account) {
            (Some(key), Some(account)) if key.is_presented_by(&self.token) => {
                if !key.allows(S::SCOPE) {
                    return Err(ApiError::Forbidden(S::SCOPE));
                }
                tracing::Span::current().record("account", account.id.as_str());
                Ok((account, key, items.collect()))
            }
            _ => Err(ApiError::Unauthorized),
        }
    }

    /// Verifies the key and reads one page of `list` with its count: the
    /// count is the list's tally, read with the key, or (for views no tally
    /// counts) a counting Query run beside the page.
    pub async fn filtered_page(
        &self,
        store: &Store,
        list: &FilteredList,
        request: PageRequest<'_>,
    ) -> Result<(Page, u64), ApiError> {
        let tally = list
            .tally
            .as_ref()
            .map(|tally| Key::tally(self.account_id(), tally));
        let (_, counted) = self.read_all(store, &Vec::from_iter(&tally)).await?;
        let request = PageRequest {
            filter: list.filter.clone(),
            ..request
        };
        Ok(match counted.into_iter().next() {
            Some(tally) => (
                store.page(&list.listing, request).await?,
                tallies::count(tally.as_ref())?,
            ),
            None => tokio::try_join!(
                store.page(&list.listing, request),
                store.count(&list.listing, list.filter.clone()),
            )?,
        })
    }
}
