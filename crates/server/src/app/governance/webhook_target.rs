//! Where an alert webhook may point. Loopback, private, link-local, shared (CGNAT) and
//! unspecified addresses are refused unless the settings allow them
//! (`TOKENTALLY_ALLOW_PRIVATE_WEBHOOKS`): a webhook must not become a way to reach services
//! inside the network. The URL is checked when it is set, and its host's addresses again
//! before each delivery (a name may resolve elsewhere later).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether `ip` lies inside a network rather than on the internet.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => internal_v4(v4),
            None => internal_v6(v6),
        },
    }
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
}

fn internal_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
}

/// Why a URL's host may not receive webhooks, when it is written as an internal address or
/// a local name.
pub fn refused_host(url: &url::Url) -> Option<String> {
    let internal = match url.host()? {
        url::Host::Ipv4(ip) => is_internal(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => is_internal(IpAddr::V6(ip)),
        url::Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    };
    internal.then(|| {
        format!(
            "the webhook URL points inside the network ({}); set TOKENTALLY_ALLOW_PRIVATE_WEBHOOKS to allow that",
            url.host_str().unwrap_or_default()
        )
    })
}

/// Why a delivery to `url` may not be sent now: its host resolves to an internal address.
pub async fn refused_delivery(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    if let Some(reason) = refused_host(&url) {
        return Some(reason);
    }
    let host = url.host_str()?.to_owned();
    let port = url.port_or_known_default().unwrap_or(80);
    let addresses = tokio::net::lookup_host((host.as_str(), port)).await.ok()?;
    for a in addresses {
        if is_internal(a.ip()) {
            return Some(format!(
                "the webhook host {host} resolves to an internal address ({}); set TOKENTALLY_ALLOW_PRIVATE_WEBHOOKS to allow that",
                a.ip()
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_and_local_names_are_refused() {
        for url in [
            "http://127.0.0.1:9000/hook",
            "http://10.1.2.3/",
            "http://192.168.0.1/",
            "http://172.16.0.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://localhost:8080/",
            "http://api.localhost/",
        ] {
            let u = url::Url::parse(url).unwrap();
            assert!(refused_host(&u).is_some(), "{url}");
        }
        for url in [
            "http://93.184.216.34/",
            "http://hooks.example.com/x",
            "http://[2001:db8::1]/",
        ] {
            let u = url::Url::parse(url).unwrap();
            assert!(refused_host(&u).is_none(), "{url}");
        }
    }
}
