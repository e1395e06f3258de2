//! The outbound address guard: webhooks may not reach private, loopback,
//! link-local, multicast (or otherwise non-public) addresses. It is applied to the
//! address a name resolves to (a DNS resolver that drops refused addresses) and to
//! IP literals in URLs, unless `delivery.allow_private_targets` is set.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// A target the guard refuses.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "refused target {target}: private, loopback, link-local and multicast addresses are not allowed"
)]
pub struct RefusedTarget {
    pub target: String,
}

/// Whether an IPv4 address is one webhooks may not reach.
fn refused_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private()                       // 10/8, 172.16/12, 192.168/16
        || ip.is_loopback()               // 127/8
        || ip.is_link_local()             // 169.254/16
        || ip.is_multicast()              // 224/4
        || ip.is_broadcast()              // 255.255.255.255
        || ip.is_unspecified()            // 0.0.0.0
        || a == 0                         // 0/8 "this network"
        || (a == 100 && (64..128).contains(&b)) // 100.64/10 carrier-grade NAT
        || (a == 198 && (18..20).contains(&b))  // 198.18/15 benchmarking
        || ip.octets()[..3] == [192, 0, 2]      // TEST-NET-1
        || ip.octets()[..3] == [198, 51, 100]   // TEST-NET-2
        || ip.octets()[..3] == [203, 0, 113]    // TEST-NET-3
        || ip.octets()[..3] == [192, 0, 0]      // 192.0.0/24 protocol assignments
        || a >= 240 // 240/4 reserved
}

/// Whether an address is one webhooks may not reach.
pub fn is_refused(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => refused_v6(v6),
    }
}

fn refused_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return refused_v4(v4);
    }
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., hi, lo] = segments;
        return refused_v4(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
    }
    // 6to4 (2002::/16) carries an IPv4 address in its second and third segments.
    if segments[0] == 0x2002 {
        return refused_v4(Ipv4Addr::from(
            (u32::from(segments[1]) << 16) | u32::from(segments[2]),
        ));
    }
    ip.is_loopback()                                // ::1
        || segments[..3] == [0x64, 0xff9b, 1]       // 64:ff9b:1::/48 local-use NAT64
        || segments[..2] == [0x2001, 0]             // 2001::/32 Teredo
        || segments[..2] == [0x2001, 0xdb8]         // 2001:db8::/32 documentation
        || ip.is_unspecified()                      // ::
        || ip.is_multicast()                        // ff00::/8
        || (segments[0] & 0xfe00) == 0xfc00         // fc00::/7 unique local
        || (segments[0] & 0xffc0) == 0xfe80         // fe80::/10 link-local
        || (segments[0] & 0xffc0) == 0xfec0         // fec0::/10 old site-local
        || segments[..6] == [0, 0, 0, 0, 0, 0] // ::a.b.c.d, IPv4-compatible
}

/// Check an address against the guard.
pub fn check(ip: IpAddr, allow_private: bool) -> Result<(), RefusedTarget> {
    if !allow_private && is_refused(ip) {
        return Err(RefusedTarget {
            target: ip.to_string(),
        });
    }
    Ok(())
}

/// A DNS resolver that resolves with the system resolver, then drops the
/// addresses the guard refuses; a name left with none is an error.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = resolved
                .iter()
                .copied()
                .filter(|addr| check(addr.ip(), allow_private).is_ok())
                .collect();
            if allowed.is_empty() {
                let target = match resolved.first() {
                    Some(addr) => format!("{host} ({})", addr.ip()),
                    None => host,
                };
                return Err(Box::new(RefusedTarget { target }) as _);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(s: &str) -> bool {
        is_refused(s.parse().expect("an IP literal"))
    }

    #[test]
    fn private_ranges_are_refused() {
        for ip in [
            "10.0.0.1",
            "172.16.5.4",
            "172.31.255.255",
            "192.168.1.1",
            "fd00::1",
            "fc12::9",
        ] {
            assert!(refused(ip), "{ip}");
        }
    }

    #[test]
    fn loopback_and_unspecified_are_refused() {
        for ip in ["127.0.0.1", "127.8.9.10", "::1", "0.0.0.0", "::", "0.1.2.3"] {
            assert!(refused(ip), "{ip}");
        }
    }

    #[test]
    fn link_local_is_refused() {
        for ip in ["169.254.169.254", "169.254.0.1", "fe80::1", "febf::1"] {
            assert!(refused(ip), "{ip}");
        }
    }

    #[test]
    fn multicast_and_broadcast_are_refused() {
        for ip in [
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "ff02::1",
            "ff0e::1",
        ] {
            assert!(refused(ip), "{ip}");
        }
    }

    #[test]
    fn shared_and_reserved_ranges_are_refused() {
        for ip in ["100.64.0.1", "100.127.255.254", "240.0.0.1"] {
            assert!(refused(ip), "{ip}");
        }
    }

    #[test]
    fn ipv4_hidden_in_ipv6_is_judged_as_ipv4() {
        for ip in [
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "64:ff9b::a9fe:a9fe",
            "::127.0.0.1",
        ] {
            assert!(refused(ip), "{ip}");
        }
        assert!(!refused("::ffff:93.184.216.34"));
    }

    #[test]
    fn benchmarking_and_documentation_ranges_are_refused() {
        for ip in [
            "198.18.0.1",
            "198.19.255.254",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "2001:db8::1",
        ] {
            assert!(refused(ip), "{ip}");
        }
        assert!(!refused("198.20.0.1"));
    }

    #[test]
    fn tunnel_and_translation_prefixes_are_refused() {
        for ip in [
            "2002:c0a8:0101::1",                    // 6to4 of 192.168.1.1
            "2002:7f00:0001::",                     // 6to4 of 127.0.0.1
            "64:ff9b:1::a",                         // local-use NAT64
            "2001:0:4136:e378:8000:63bf:3fff:fdd2", // Teredo
        ] {
            assert!(refused(ip), "{ip}");
        }
        assert!(!refused("2002:5db8:d822::1"), "6to4 of a public address");
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:2800:220:1::1",
        ] {
            assert!(!refused(ip), "{ip}");
        }
    }

    #[test]
    fn allow_private_targets_lets_everything_through() {
        assert!(check("127.0.0.1".parse().expect("ip"), true).is_ok());
        assert!(check("127.0.0.1".parse().expect("ip"), false).is_err());
    }
}
