//! Authentication and scopes.
//!
//! `Caller<S>` is extracted from `Authorization: Bearer <key>` without any I/O.
//! The key is verified in the same strongly consistent BatchGetItem as the
//! route's first read, so a GET costs one round trip and a revoked key stops
//! working at once. Nothing read is handed out before the key checks out.
//!
//! Authentication comes first (SPEC §1): a request refused before its key
//! was verified (a bad body, path or query) is held back by
//! [`authenticate_first`] until the key is: an unknown key hears 401 and a
//! key without the route's scope 403, whatever else is wrong with the request.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::error::ApiError;
use ledger_core::model::{Access, Account, Actor, ApiKey, ApiToken, Id, Resource, Scope};
use ledger_store::{
    FilteredList, Item, Key, Page, PageRequest, Reads, Store, accounts, api_keys, tallies,
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
    EventsRead => Events: Read,
    EventsWrite => Events: Write,
    PayoutsRead => Payouts: Read,
    PayoutsWrite => Payouts: Write,
    AccountRead => Account: Read,
    AccountWrite => Account: Write,
    ApiKeysRead => ApiKeys: Read,
    ApiKeysWrite => ApiKeys: Write,
    FxRatesRead => FxRates: Read,
    FxRatesWrite => FxRates: Write,
    WebhooksRead => Webhooks: Read,
    WebhooksWrite => Webhooks: Write,
    ClicksWrite => Clicks: Write,
}

/// A caller that presented a well-formed key for a route requiring `S`.
pub struct Caller<S> {
    token: ApiToken,
    check: Option<Arc<KeyCheck>>,
    scope: PhantomData<S>,
}

/// The key in `Authorization: Bearer <key>`; the scheme is matched
/// case-insensitively (RFC 9110 §11.1).
fn bearer(headers: &HeaderMap) -> Option<ApiToken> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| ApiToken::parse(key.trim()))
        .flatten()
}

/// What one request's authentication came to, shared by its [`Caller`] and
/// [`authenticate_first`]: the scope the route requires, and whether the
/// key was judged (verified, or refused) while the handler ran.
#[derive(Default)]
pub struct KeyCheck {
    scope: OnceLock<Scope>,
    judged: AtomicBool,
}

impl KeyCheck {
    fn judged(&self) {
        self.judged.store(true, Ordering::Release);
    }
}

impl<S: RequiredScope, State: Sync> FromRequestParts<State> for Caller<S> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &State) -> Result<Self, Self::Rejection> {
        let check = parts.extensions.get::<Arc<KeyCheck>>().cloned();
        if let Some(check) = &check {
            // Only one Caller is extracted per request, so the scope is set once.
            let _ = check.scope.set(S::SCOPE);
        }
        let token = bearer(&parts.headers).ok_or(ApiError::Unauthorized)?;
        Ok(Self {
            token,
            check,
            scope: PhantomData,
        })
    }
}

/// Holds back a route's refusal (4xx) until the key is verified, when the
/// handler refused before verifying it: a bad key is answered 401 and a
/// missing scope 403 first. Costs a read only on such refusals; a request
/// the handler served verified its key in its own first read.
pub async fn authenticate_first(
    State(store): State<Store>,
    mut request: Request,
    next: Next,
) -> Response {
    let check = Arc::new(KeyCheck::default());
    request.extensions_mut().insert(Arc::clone(&check));
    let token = bearer(request.headers());
    let response = next.run(request).await;
    let status = response.status();
    let Some(scope) = check.scope.get() else {
        return response; // a route that takes no key
    };
    if check.judged.load(Ordering::Acquire)
        || !status.is_client_error()
        || status == axum::http::StatusCode::UNAUTHORIZED
    {
        return response;
    }
    let Some(token) = token else {
        return ApiError::Unauthorized.into_response();
    };
    match verify_key(&store, &token, *scope, &[]).await {
        Ok(_) => response,
        Err(refusal) => refusal.into_response(),
    }
}

/// Reads the key `token` names, its account and `keys` in one strongly
/// consistent BatchGetItem: 401 unless the key is the one presented, 403
/// unless it holds `scope`.
async fn verify_key(
    store: &Store,
    token: &ApiToken,
    scope: Scope,
    keys: &[&Key],
) -> Result<(Account, ApiKey, Vec<Option<Item>>), ApiError> {
    let account = &token.account_id;
    let (key_item, account_item) = (Key::api_key(account, &token.key_id), Key::account(account));
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
        (Some(key), Some(account)) if key.is_presented_by(token) => {
            if !key.allows(scope) {
                return Err(ApiError::Forbidden(scope));
            }
            Ok((account, key, items.collect()))
        }
        _ => Err(ApiError::Unauthorized),
    }
}

/// A refused key, in the use cases' words.
fn denial(refusal: ApiError) -> ledger_app::Error {
    match refusal {
        ApiError::Unauthorized => ledger_app::Error::Denied(ledger_app::Denial::Unauthenticated),
        ApiError::Forbidden(scope) => {
            ledger_app::Error::Denied(ledger_app::Denial::MissingScope(scope))
        }
        ApiError::Internal(cause) => ledger_app::Error::Store(cause),
        other => unreachable!("verifying a key answers no {other:?}"),
    }
}

impl<S: RequiredScope + Sync> ledger_app::Session for Caller<S> {
    fn account_id(&self) -> &Id {
        &self.token.account_id
    }

    /// The key the request presented: its changes are only written once
    /// [`ledger_app::Session::read`] verified it.
    fn actor(&self) -> Actor {
        Actor::ApiKey {
            id: self.token.key_id.clone(),
        }
    }

    async fn read<R: Reads + Send + Sync>(
        &self,
        store: &Store,
        reads: R,
    ) -> Result<(Account, R::Output), ledger_app::Error> {
        let (account, _, items) = self.verify(store, &reads.keys()).await.map_err(denial)?;
        Ok((account, reads.decode(&mut items.into_iter())?))
    }
}

impl<S: RequiredScope + Sync> ledger_app::KeyedSession for Caller<S> {
    async fn read_with_key<R: Reads + Send + Sync>(
        &self,
        store: &Store,
        reads: R,
    ) -> Result<(Account, ApiKey, R::Output), ledger_app::Error> {
        let (account, key, items) = self.verify(store, &reads.keys()).await.map_err(denial)?;
        Ok((account, key, reads.decode(&mut items.into_iter())?))
    }
}

impl<S: RequiredScope> Caller<S> {
    /// The account the key claims. Keys built from it are only read through
    /// [`ledger_app::Session::read`], which verifies the claim first.
    pub fn account_id(&self) -> &Id {
        &self.token.account_id
    }

    async fn verify(
        &self,
        store: &Store,
        keys: &[&Key],
    ) -> Result<(Account, ApiKey, Vec<Option<Item>>), ApiError> {
        let verdict = verify_key(store, &self.token, S::SCOPE, keys).await;
        if let Some(check) = &self.check
            && matches!(
                verdict,
                Ok(_) | Err(ApiError::Unauthorized | ApiError::Forbidden(_))
            )
        {
            check.judged();
        }
        let (account, key, items) = verdict?;
        tracing::Span::current().record("account", account.id.as_str());
        Ok((account, key, items))
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
            .map(|tally| tallies::of(self.account_id(), tally));
        let (_, counted) = ledger_app::Session::read(self, store, tally).await?;
        Ok(match counted {
            Some(members) => {
                let request = PageRequest {
                    filter: list.filter.clone(),
                    ..request
                };
                (store.page(&list.listing, request).await?, members.0)
            }
            None => store.counted_page(self.account_id(), list, request).await?,
        })
    }
}
