//! Where a webhook delivery may connect: public unicast addresses only, so
//! that an endpoint URL cannot reach the deployment's own network (SSRF).
//! The same rule judges an IP literal in a URL when it is registered and
//! every address its host name resolves to when a delivery connects.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Which destinations this deployment delivers to. In AWS only public
/// HTTPS endpoints; `make run` and the tests also allow plain HTTP to
/// `127.0.0.1`, where their local receivers listen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Destinations {
    PublicHttpsOnly,
    AlsoLocalHttp,
}

impl Destinations {
    /// The variable `make run` and the tests set to allow local receivers.
    pub const LOCAL_HTTP_VARIABLE: &'static str = "WEBHOOKS_ALLOW_LOCAL_HTTP";

    /// `AlsoLocalHttp` when [`Self::LOCAL_HTTP_VARIABLE`] is `1`.
    pub fn from_env() -> Self {
        match std::env::var(Self::LOCAL_HTTP_VARIABLE).as_deref() {
            Ok("1") => Destinations::AlsoLocalHttp,
            _ => Destinations::PublicHttpsOnly,
        }
    }

    /// Whether a delivery may connect to `ip`.
    pub fn allows(self, ip: IpAddr) -> bool {
        is_public(ip) || (self == Destinations::AlsoLocalHttp && ip == Ipv4Addr::LOCALHOST)
    }
}

/// Whether `ip` is a public unicast address: not unspecified, loopback,
/// private, link-local, carrier-grade NAT, unique-local, multicast,
/// documentation, benchmarking or reserved; an IPv4 address carried inside
/// IPv6 (mapped, compatible, NAT64, 6to4) is judged as that IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let refused = a == 0                                  // "this network", 0.0.0.0
        || a == 10                                        // private
        || a == 127                                       // loopback
        || (a == 100 && (64..128).contains(&b))           // carrier-grade NAT
        || (a == 169 && b == 254)                         // link-local (cloud metadata)
        || (a == 172 && (16..32).contains(&b))            // private
        || (a == 192 && b == 168)                         // private
        || (a == 192 && b == 0 && c == 0)                 // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)                 // documentation
        || (a == 198 && (b == 18 || b == 19))             // benchmarking
        || (a == 198 && b == 51 && c == 100)              // documentation
        || (a == 203 && b == 0 && c == 113)               // documentation
        || a >= 224; // multicast, reserved, broadcast
    !refused
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    let embedded_v4 = || Ipv4Addr::from(((segments[6] as u32) << 16) | segments[7] as u32);
    if segments[..6] == [0, 0, 0, 0, 0, 0xffff] || segments[..6] == [0; 6] {
        // IPv4-mapped (::ffff:a.b.c.d) or IPv4-compatible (::a.b.c.d, which
        // covers :: and ::1): the IPv4 address decides.
        return is_public_v4(embedded_v4());
    }
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded_v4()); // NAT64
    }
    if segments[0] == 0x2002 {
        // 6to4 carries its IPv4 address in the second and third segments.
        let v4 = Ipv4Addr::from(((segments[1] as u32) << 16) | segments[2] as u32);
        return is_public_v4(v4);
    }
    let refused = (segments[0] & 0xfe00) == 0xfc00        // unique local fc00::/7
        || (segments[0] & 0xffc0) == 0xfe80               // link-local fe80::/10
        || (segments[0] & 0xffc0) == 0xfec0               // site-local fec0::/10
        || (segments[0] & 0xff00) == 0xff00               // multicast
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
        || (segments[0] == 0x2001 && segments[1] < 0x0200) // IETF protocol assignments (Teredo ...)
        || segments[..4] == [0x0100, 0, 0, 0]; // discard-only
    !refused
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(text: &str) -> bool {
        is_public(text.parse().expect("an IP address"))
    }

    #[test]
    fn internal_ipv4_addresses_are_refused() {
        for ip in [
            "0.0.0.0",
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.254",
            "192.0.2.10",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
        ] {
            assert!(!public(ip), "{ip}");
        }
    }

    #[test]
    fn internal_ipv6_addresses_are_refused() {
        for ip in [
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:0a00:0001::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "100::1",
        ] {
            assert!(!public(ip), "{ip}");
        }
    }

    #[test]
    fn public_addresses_are_allowed_next_to_the_ranges_edges() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "169.253.0.1",
            "11.0.0.1",
            "::ffff:8.8.8.8",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
        ] {
            assert!(public(ip), "{ip}");
        }
    }

    #[test]
    fn only_local_runs_allow_ipv4_loopback_and_nothing_else_internal() {
        let local = Destinations::AlsoLocalHttp;
        assert!(local.allows("127.0.0.1".parse().unwrap()));
        assert!(!local.allows("127.0.0.2".parse().unwrap()));
        assert!(!local.allows("10.0.0.1".parse().unwrap()));
        assert!(!local.allows("::1".parse().unwrap()));
        assert!(!Destinations::PublicHttpsOnly.allows("127.0.0.1".parse().unwrap()));
    }
}
