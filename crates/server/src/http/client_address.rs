//! The address a request came from, for throttling: the peer, unless the peer is a proxy the
//! settings trust (`TOKENTALLY_TRUSTED_PROXIES`); then the last address in `X-Forwarded-For`
//! that is not one of those proxies. Anyone else's `X-Forwarded-For` is ignored, so a client
//! cannot choose the address its guesses are counted under.

use std::net::IpAddr;

use axum::http::HeaderMap;

pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|hop| hop.trim().parse().ok())
        .collect();
    // Each proxy appends the address it received from: read from the right, past the proxies.
    hops.into_iter()
        .rev()
        .find(|hop| !trusted.contains(hop))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn forwarded_addresses_count_only_from_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        let h = headers("198.51.100.1, 203.0.113.7");
        // Not trusted: the header is ignored.
        assert_eq!(client_address(proxy, &h, &[]), proxy);
        // Trusted: the last address the proxy saw, not the one the client wrote first.
        assert_eq!(client_address(proxy, &h, &[proxy]), client);
        // Chained proxies are skipped.
        let h = headers("203.0.113.7, 10.0.0.3");
        let inner: IpAddr = "10.0.0.3".parse().unwrap();
        assert_eq!(client_address(proxy, &h, &[proxy, inner]), client);
        // Garbage falls back to the peer.
        assert_eq!(client_address(proxy, &headers("nonsense"), &[proxy]), proxy);
    }
}
