//! The route table. Each route is declared once, by its handler: the
//! `#[utoipa::path]` attribute gives its method, path and OpenAPI entry, the
//! handler's `Caller<S>` its scope. A group lists its handlers, each as
//! [`keyed!`](crate::keyed) or [`keyless!`](crate::keyless), in a [`Routes`],
//! which builds the group's axum router and its part of the document from that
//! one list, both under the version prefix [`VERSION`] (or, for a public
//! link that must stay short and never change with the version, at the root:
//! [`Routes::unversioned`]).

use axum::Router;
use ledger_core::model::Scope;
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::SecurityRequirement;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

use crate::auth::{Caller, RequiredScope};
use crate::openapi::API_KEY;

#[doc(hidden)]
pub use utoipa_axum;

/// The API version, the prefix of every route.
pub const VERSION: &str = "/2026-02-01";

/// The route `handler`'s `#[utoipa::path]` declares, its operation secured
/// by an API key holding the scope of the handler's `Caller<S>`.
#[macro_export]
macro_rules! keyed {
    ($($handler:tt)+) => {
        $crate::routes::keyed(
            $crate::routes::utoipa_axum::routes!($($handler)+),
            $crate::routes::scope_of(&$($handler)+),
        )
    };
}

/// The route `handler`'s `#[utoipa::path]` declares, taking no API key.
#[macro_export]
macro_rules! keyless {
    ($($handler:tt)+) => {
        $crate::routes::utoipa_axum::routes!($($handler)+)
    };
}

/// A handler whose second argument, after its `State`, is a `Caller<S>`, as
/// every keyed handler's is: the scope `S` requires.
#[diagnostic::on_unimplemented(
    message = "`keyed!` needs a handler whose second argument, after its `State`, is a `Caller<S>`",
    label = "a route that takes no API key is `keyless!`"
)]
pub trait Keyed<Arguments> {
    const SCOPE: Scope;
}

macro_rules! keyed_handlers {
    ($($rest:ident),*) => {
        impl<F, Fut, St, S: RequiredScope, $($rest,)*> Keyed<(St, Caller<S>, $($rest,)*)> for F
        where
            F: FnOnce(St, Caller<S>, $($rest,)*) -> Fut,
        {
            const SCOPE: Scope = S::SCOPE;
        }
    };
}

keyed_handlers!();
keyed_handlers!(A);
keyed_handlers!(A, B);
keyed_handlers!(A, B, C);
keyed_handlers!(A, B, C, D);

/// The scope `handler`'s `Caller<S>` requires.
pub fn scope_of<Arguments, H: Keyed<Arguments>>(_handler: &H) -> Scope {
    H::SCOPE
}

/// `route` with every operation secured by an API key holding `scope`.
pub fn keyed<S>(route: UtoipaMethodRouter<S>, scope: Scope) -> UtoipaMethodRouter<S> {
    let (schemas, mut paths, method_router) = route;
    let requirement = SecurityRequirement::new(API_KEY, [scope.to_string()]);
    for item in paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for operation in operations.into_iter().flatten() {
            operation.security = Some(vec![requirement.clone()]);
        }
    }
    (schemas, paths, method_router)
}

/// One endpoint group's routes: relative to [`VERSION`], and any at the root.
pub struct Routes<S> {
    versioned: OpenApiRouter<S>,
    root: OpenApiRouter<S>,
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    /// No routes yet; `doc` carries the group's tags.
    pub fn new(doc: OpenApi) -> Self {
        Self {
            versioned: OpenApiRouter::with_openapi(doc),
            root: OpenApiRouter::default(),
        }
    }

    /// Adds `route` (a [`keyed!`](crate::keyed) or
    /// [`keyless!`](crate::keyless) handler): to the router at its
    /// [`axum_path`], to the document at its documented path, under [`VERSION`].
    pub fn route(self, route: UtoipaMethodRouter<S>) -> Self {
        Self {
            versioned: add(self.versioned, route),
            ..self
        }
    }

    /// Adds `route` as [`Routes::route`] does, at its documented path
    /// itself rather than under [`VERSION`].
    pub fn unversioned(self, route: UtoipaMethodRouter<S>) -> Self {
        Self {
            root: add(self.root, route),
            ..self
        }
    }

    /// The group's part of the OpenAPI document, under [`VERSION`].
    pub fn openapi(self) -> OpenApi {
        self.versioned().into_openapi()
    }

    /// The group's axum router, under [`VERSION`].
    pub fn router(self) -> Router<S> {
        self.versioned().split_for_parts().0
    }

    fn versioned(self) -> OpenApiRouter<S> {
        OpenApiRouter::default()
            .nest(VERSION, self.versioned)
            .merge(self.root)
    }
}

/// `router` with `route` at its [`axum_path`], and in its document.
fn add<S: Clone + Send + Sync + 'static>(
    router: OpenApiRouter<S>,
    (schemas, paths, method_router): UtoipaMethodRouter<S>,
) -> OpenApiRouter<S> {
    let mut router = paths.paths.keys().fold(router, |router, path| {
        router.route(&axum_path(path), method_router.clone())
    });
    let doc = router.get_openapi_mut();
    doc.paths.merge(paths);
    doc.components
        .get_or_insert_with(Default::default)
        .schemas
        .extend(schemas);
    router
}

/// Where axum routes a documented path. API Gateway and axum match whole
/// segments only, so a parameter with a `.json` suffix (`{partnerId}.json`)
/// captures its whole segment (`JsonId` strips the suffix); and a capture is
/// named for its resource, the parameter's last word before `Id`
/// (`{partner}`, `{key}` for `{apiKeyId}`): the route's name in the request
/// metrics.
pub fn axum_path(documented: &str) -> String {
    documented
        .split('/')
        .map(|segment| match segment.strip_prefix('{') {
            None => segment.to_string(),
            Some(parameter) => {
                let name = parameter
                    .strip_suffix("}.json")
                    .or_else(|| parameter.strip_suffix('}'))
                    .unwrap_or_else(|| {
                        panic!("{documented}: axum cannot route the segment {segment}")
                    });
                let name = name.strip_suffix("Id").unwrap_or(name);
                let word = name
                    .rfind(char::is_uppercase)
                    .map_or(name, |start| &name[start..]);
                format!("{{{}}}", word.to_lowercase())
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scopes::{PartnersRead, PayoutsWrite};
    use axum::extract::State;

    #[test]
    fn a_documented_path_is_routed_by_whole_segments_named_for_their_resource() {
        assert_eq!(axum_path("/partners.json"), "/partners.json");
        assert_eq!(
            axum_path("/partners/{partnerId}.json"),
            "/partners/{partner}"
        );
        assert_eq!(
            axum_path("/partners/{partnerId}/ban.json"),
            "/partners/{partner}/ban.json"
        );
        assert_eq!(axum_path("/api_keys/{apiKeyId}.json"), "/api_keys/{key}");
        assert_eq!(axum_path("/fx_rates/{date}.json"), "/fx_rates/{date}");
    }

    #[test]
    #[should_panic(expected = "axum cannot route the segment {id}.xml")]
    fn a_parameter_that_is_not_a_whole_segment_is_refused() {
        axum_path("/things/{id}.xml");
    }

    async fn read(_: State<()>, _: Caller<PartnersRead>) {}
    async fn write(_: State<()>, _: Caller<PayoutsWrite>, _: String, _: Vec<u8>) {}

    #[test]
    fn a_handlers_scope_is_its_callers() {
        assert_eq!(scope_of(&read).to_string(), "partners:read");
        assert_eq!(scope_of(&write).to_string(), "payouts:write");
    }
}
