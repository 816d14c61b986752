//! Outbound network: only the `host:port` pairs a manifest names.
//!
//! Applies to `wasi:sockets` (TCP connect; listening, accepting and UDP are
//! denied) and to `wasi:http` outgoing requests. Without a grant, a plugin
//! cannot look up names or open a socket at all.
//!
//! A named host is matched by the addresses it resolves to when the plugin
//! connects. Loopback, link-local and unspecified addresses are refused for
//! every grant that does not name them literally (`127.0.0.1:8080`,
//! `[::1]:8080`) or as `localhost`, so a public name that resolves to
//! `127.0.0.1` or `169.254.169.254` (DNS rebinding, cloud metadata) does not
//! reach the host's own services.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use wasmtime_wasi::sockets::SocketAddrUse;

use super::manifest::NetworkGrant;

/// The destinations one plugin may reach.
#[derive(Debug, Default)]
pub struct NetworkPolicy {
    grants: Vec<NetworkGrant>,
}

impl NetworkPolicy {
    /// A policy allowing exactly `grants`.
    pub fn new(grants: Vec<NetworkGrant>) -> Arc<Self> {
        Arc::new(Self { grants })
    }

    /// Whether anything is granted.
    pub fn is_empty(&self) -> bool {
        self.grants.is_empty()
    }

    /// The grants, for reports.
    pub fn grants(&self) -> &[NetworkGrant] {
        &self.grants
    }

    /// The check `wasi:sockets` runs before each bind, listen, connect, ...
    pub async fn allows_socket(&self, addr: SocketAddr, use_: SocketAddrUse) -> bool {
        match use_ {
            // A connect binds the socket to the wildcard address first.
            SocketAddrUse::TcpBind => addr.ip().is_unspecified() && addr.port() == 0,
            SocketAddrUse::TcpConnect => self.allows_addr(addr).await,
            _ => false,
        }
    }

    /// Whether `host:port` of an outgoing HTTP request is granted.
    pub async fn allows_authority(&self, host: &str, port: u16) -> bool {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let Some(grant) = self
            .grants
            .iter()
            .find(|g| g.host == host && g.port == port)
        else {
            return false;
        };
        if grant_is_literal(grant) {
            return true;
        }
        // A name: refuse it if it resolves somewhere only literal grants may go.
        match tokio::net::lookup_host((host.as_str(), port)).await {
            Ok(mut addrs) => addrs.all(|a| !is_internal(a.ip())),
            Err(_) => true, // the request itself will fail with a DNS error
        }
    }

    async fn allows_addr(&self, addr: SocketAddr) -> bool {
        for grant in self.grants.iter().filter(|g| g.port == addr.port()) {
            if let Ok(ip) = grant.host.parse::<IpAddr>() {
                if ip == addr.ip() {
                    return true;
                }
                continue;
            }
            if is_internal(addr.ip()) && grant.host != "localhost" {
                continue;
            }
            if let Ok(mut resolved) =
                tokio::net::lookup_host((grant.host.as_str(), grant.port)).await
                && resolved.any(|a| a.ip() == addr.ip())
            {
                return true;
            }
        }
        false
    }
}

fn grant_is_literal(grant: &NetworkGrant) -> bool {
    grant.host == "localhost" || grant.host.parse::<IpAddr>().is_ok()
}

/// Addresses of the host itself or its link: reachable only when named.
fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_link_local() || v4.is_unspecified(),
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_unicast_link_local()
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_internal(IpAddr::V4(v4)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(grants: &[&str]) -> Arc<NetworkPolicy> {
        NetworkPolicy::new(grants.iter().map(|g| g.parse().unwrap()).collect())
    }

    #[tokio::test]
    async fn connects_only_to_granted_addresses() {
        let policy = policy(&["127.0.0.1:8080", "[::1]:9090"]);
        let connect = |a: &str| policy.allows_socket(a.parse().unwrap(), SocketAddrUse::TcpConnect);
        assert!(connect("127.0.0.1:8080").await);
        assert!(connect("[::1]:9090").await);
        assert!(!connect("127.0.0.1:8081").await, "another port");
        assert!(!connect("127.0.0.2:8080").await, "another address");
        assert!(!connect("169.254.169.254:80").await, "metadata service");
    }

    #[tokio::test]
    async fn listening_and_udp_are_denied() {
        let policy = policy(&["127.0.0.1:8080"]);
        let addr: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert!(!policy.allows_socket(addr, SocketAddrUse::TcpListen).await);
        assert!(!policy.allows_socket(addr, SocketAddrUse::TcpBind).await);
        assert!(!policy.allows_socket(addr, SocketAddrUse::UdpSend).await);
        assert!(
            policy
                .allows_socket("0.0.0.0:0".parse().unwrap(), SocketAddrUse::TcpBind)
                .await
        );
    }

    #[tokio::test]
    async fn http_authorities_must_match_host_and_port() {
        let policy = policy(&["127.0.0.1:8080", "localhost:3000"]);
        assert!(policy.allows_authority("127.0.0.1", 8080).await);
        assert!(policy.allows_authority("LOCALHOST", 3000).await);
        assert!(!policy.allows_authority("127.0.0.1", 80).await);
        assert!(!policy.allows_authority("example.com", 443).await);
    }
}
