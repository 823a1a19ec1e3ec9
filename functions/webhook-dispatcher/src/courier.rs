//! The HTTP client deliveries go out through: HTTPS (or, in a local run,
//! plain HTTP to 127.0.0.1), a 5 s limit per attempt, no redirects followed,
//! and no connection to an address a delivery may not reach. An IP literal
//! is judged before connecting; a host name on every address it resolves
//! to, by the resolver the connector uses, so the address judged is the
//! address connected to (no rebinding between a check and the connect).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::rt::TokioExecutor;
use ledger_app::webhook_dispatch::{Courier, Posted};
use ledger_core::webhooks::Destinations;
use url::{Host, Url};

/// The longest one delivery attempt may take, connecting included.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// Resolves a host name, refusing it when any of its addresses is one a
/// delivery may not reach.
#[derive(Clone, Copy)]
struct CheckedResolver(Destinations);

impl tower::Service<Name> for CheckedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, io::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), io::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let destinations = self.0;
        Box::pin(async move {
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if let Some(refused) = addresses.iter().find(|a| !destinations.allows(a.ip())) {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!(
                        "{name} resolves to {}, an address deliveries may not reach",
                        refused.ip()
                    ),
                ));
            }
            if addresses.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("{name} has no address"),
                ));
            }
            Ok(addresses.into_iter())
        })
    }
}

#[derive(Clone)]
pub struct HttpCourier {
    client: Client<HttpsConnector<HttpConnector<CheckedResolver>>, Full<Bytes>>,
    destinations: Destinations,
}

impl HttpCourier {
    pub fn new(destinations: Destinations) -> Result<Self, String> {
        let mut http = HttpConnector::new_with_resolver(CheckedResolver(destinations));
        http.enforce_http(false);
        http.set_connect_timeout(Some(TIMEOUT));
        // The provider named, as the DynamoDB client names it (ledger-store's
        // https_client), rather than chosen by a hyper-rustls feature that
        // would give rustls, and the AWS SDK above it, a second build.
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| format!("no root certificates: {e}"))?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(https),
            destinations,
        })
    }

    /// Why `url` may not be posted to before any connection, if it may not.
    fn refusal(&self, url: &str) -> Option<String> {
        let Ok(parsed) = Url::parse(url) else {
            return Some("the URL does not parse".into());
        };
        let local = self.destinations == Destinations::AlsoLocalHttp;
        match parsed.scheme() {
            "https" => {}
            "http" if local => {}
            _ => return Some("deliveries go over https only".into()),
        }
        let ip = match parsed.host() {
            Some(Host::Ipv4(ip)) => std::net::IpAddr::V4(ip),
            Some(Host::Ipv6(ip)) => std::net::IpAddr::V6(ip),
            Some(Host::Domain(_)) => return None,
            None => return Some("the URL names no host".into()),
        };
        (!self.destinations.allows(ip))
            .then(|| format!("{ip} is an address deliveries may not reach"))
    }

    async fn send(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: &str,
    ) -> Result<u16, String> {
        let mut request = http::Request::post(url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::USER_AGENT, "partner-ledger-webhooks");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = request
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| e.to_string())?;
        let response = self.client.request(request).await.map_err(|e| causes(&e))?;
        // The body is not read: only the status counts, and an endpoint's
        // answer, however large, costs nothing.
        Ok(response.status().as_u16())
    }
}

impl Courier for HttpCourier {
    async fn post(&self, url: &str, headers: &[(&'static str, String)], body: &str) -> Posted {
        let started = Instant::now();
        if let Some(refusal) = self.refusal(url) {
            return Posted {
                status_code: None,
                error: Some(refusal),
                latency: Duration::ZERO,
            };
        }
        let result = tokio::time::timeout(TIMEOUT, self.send(url, headers, body)).await;
        let latency = started.elapsed();
        match result {
            Err(_) => Posted {
                status_code: None,
                error: Some(format!("no answer within {} s", TIMEOUT.as_secs())),
                latency,
            },
            Ok(Err(error)) => Posted {
                status_code: None,
                error: Some(error),
                latency,
            },
            Ok(Ok(status)) if (200..300).contains(&status) => Posted {
                status_code: Some(status),
                error: None,
                latency,
            },
            Ok(Ok(status)) => Posted {
                status_code: Some(status),
                error: Some(format!("answered {status}")),
                latency,
            },
        }
    }

    fn timeout(&self) -> Duration {
        TIMEOUT
    }
}

/// An error and its causes, `: `-separated (hyper's own message leaves out
/// the refused address or the untrusted certificate its sources say).
fn causes(error: &dyn std::error::Error) -> String {
    std::iter::successors(Some(error), |error| error.source())
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployed() -> HttpCourier {
        HttpCourier::new(Destinations::PublicHttpsOnly).expect("a client")
    }

    #[tokio::test]
    async fn a_host_name_resolving_to_loopback_is_refused_when_connecting() {
        // `localhost` resolves from /etc/hosts: no network needed. Its
        // address is what the connection would use, and it is refused.
        let posted = deployed().post("https://localhost:9/hook", &[], "{}").await;
        assert_eq!(posted.status_code, None);
        let error = posted.error.expect("refused");
        assert!(
            error.contains("an address deliveries may not reach"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn internal_ip_literals_and_plain_http_are_refused_before_connecting() {
        for url in [
            "https://127.0.0.1:9/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://[::ffff:10.0.0.1]/",
            "http://example.com/hook",
        ] {
            let posted = deployed().post(url, &[], "{}").await;
            assert_eq!(posted.latency, Duration::ZERO, "{url} was not tried");
            assert!(posted.error.is_some(), "{url}");
        }
    }

    #[tokio::test]
    async fn a_local_run_still_refuses_internal_addresses_other_than_ipv4_loopback() {
        let local = HttpCourier::new(Destinations::AlsoLocalHttp).expect("a client");
        let posted = local.post("http://10.0.0.1/hook", &[], "{}").await;
        assert_eq!(posted.latency, Duration::ZERO);
        let mut resolver = CheckedResolver(Destinations::AlsoLocalHttp);
        let name: Name = "localhost".parse().expect("a name");
        // localhost resolves to 127.0.0.1, and on some hosts to ::1 as well,
        // which a local run refuses: either only 127.0.0.1 passes, or nothing.
        match tower::Service::call(&mut resolver, name).await {
            Ok(addresses) => {
                assert!(
                    addresses
                        .into_iter()
                        .all(|a| a.ip() == std::net::Ipv4Addr::LOCALHOST)
                )
            }
            Err(error) => assert_eq!(error.kind(), io::ErrorKind::PermissionDenied, "{error}"),
        }
    }
}
