//! Where the processes of a [`Stack`](crate::Stack) run and how they reach one another.
//!
//! End-to-end tests run everything on 127.0.0.1 ([`Loopback`]). Chaos runs put each region's
//! core and edge, the database and the partners in network namespaces of their own, joined by
//! links they can cut, and put a fault proxy on some links: they implement [`Placement`].

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::Command;

use anyhow::Result;

/// A process of the stack, or the database.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// A region's core service.
    Core(String),
    /// A region's edge.
    Edge(String),
    /// The payment provider stand-in.
    Payments,
    /// The warehouse system stand-in.
    Warehouse,
    /// A carrier stand-in (`parcelo`, `classicpost`).
    Carrier(String),
    /// The mail relay stand-in (SMTP, and its HTTP API).
    Mail,
    /// The database server.
    Database,
}

/// Where each role runs and how the others reach it.
pub trait Placement: Send + Sync {
    /// The address `role` listens on, and where the others reach it.
    fn host(&self, _role: &Role) -> IpAddr {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    }

    /// A command that runs `program` for `role` (in its network namespace, say).
    fn command(&self, _role: &Role, program: &Path) -> Command {
        Command::new(program)
    }

    /// The address `from` connects to in order to reach `to`, which listens at `addr`: `addr`
    /// itself, or a fault proxy in front of it.
    fn route(&self, _from: &Role, _to: &Role, addr: SocketAddr) -> Result<SocketAddr> {
        Ok(addr)
    }
}

/// Everything on 127.0.0.1, nothing in between.
#[derive(Debug, Clone, Copy, Default)]
pub struct Loopback;

impl Placement for Loopback {}

/// `url` (`postgres://user@host:port/db?…`) with its host and port replaced by `addr`.
pub fn with_address(url: &str, addr: SocketAddr) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let user = authority.rsplit_once('@').map(|(u, _)| format!("{u}@")).unwrap_or_default();
    format!("{scheme}://{user}{addr}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_get_the_new_address() {
        let addr: SocketAddr = "10.77.1.2:6000".parse().unwrap();
        assert_eq!(
            with_address("postgres://postgres@127.0.0.1:5432/t_1", addr),
            "postgres://postgres@10.77.1.2:6000/t_1"
        );
        assert_eq!(with_address("postgres://127.0.0.1:5432", addr), "postgres://10.77.1.2:6000");
        assert_eq!(with_address("postgres://u@h:1/db?x=1", addr), "postgres://u@10.77.1.2:6000/db?x=1");
    }
}
