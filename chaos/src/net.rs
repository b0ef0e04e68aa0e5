//! The network of a chaos run: a namespace per site (each region, the database, the partners,
//! the shoppers), each joined by a veth pair to a hub namespace that routes between them, and
//! the machine's own namespace joined to the hub too, so that the run reaches every site. Site
//! `i` is `10.77.i.2/24` (its hub side `10.77.i.1`); the machine is `10.77.0.1`.
//!
//! Links are cut and made lossy by nftables rules in the hub's `inet chaos` table, between two
//! sites' subnets. Everything is removed when the value is dropped (namespaces take their veths
//! and rules with them), and namespaces left by a run that died are removed before a new one
//! starts.

use std::net::Ipv4Addr;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// Every namespace of a run starts with this.
pub const PREFIX: &str = "chaos-";
/// The hub namespace.
const HUB: &str = "chaos-hub";
/// The first two octets of every address.
const NET: [u8; 2] = [10, 77];

/// The namespaces and links of a run.
#[derive(Debug)]
pub struct Net {
    /// Site names, in order: site `i` is subnet `i + 1`.
    sites: Vec<String>,
    removed: bool,
}

fn run(args: &[&str]) -> Result<()> {
    let out = Command::new(args[0]).args(&args[1..]).output().with_context(|| format!("running {}", args.join(" ")))?;
    if !out.status.success() {
        bail!("{} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

/// Runs an nftables script in the hub.
fn nft(script: &str) -> Result<()> {
    use std::io::Write;
    let mut child = Command::new("ip")
        .args(["netns", "exec", HUB, "nft", "-f", "-"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .context("running nft")?;
    child.stdin.take().context("nft stdin")?.write_all(script.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("nft failed: {}\n{script}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

/// Namespaces whose name starts with [`PREFIX`].
fn ours() -> Vec<String> {
    let out = Command::new("ip").args(["netns", "list"]).output().map(|o| o.stdout).unwrap_or_default();
    String::from_utf8_lossy(&out)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| n.starts_with(PREFIX))
        .map(str::to_string)
        .collect()
}

impl Net {
    /// Creates the hub and one namespace per site. Fails when `10.77.0.0/16` is used by
    /// something else on this machine.
    pub fn create(sites: &[&str]) -> Result<Self> {
        for stale in ours() {
            eprintln!("removing namespace {stale} left by an earlier run");
            let _ = run(&["ip", "netns", "del", &stale]);
        }
        let routes = Command::new("ip").args(["-4", "route", "show"]).output()?.stdout;
        if String::from_utf8_lossy(&routes).contains("10.77.") {
            bail!("10.77.0.0/16 is already routed on this machine; a chaos run needs it for its namespaces");
        }
        let mut net = Self { sites: sites.iter().map(|s| s.to_string()).collect(), removed: false };
        net.build().inspect_err(|_| net.remove())?;
        Ok(net)
    }

    fn build(&self) -> Result<()> {
        run(&["ip", "netns", "add", HUB])?;
        run(&["ip", "-n", HUB, "link", "set", "lo", "up"])?;
        run(&["ip", "netns", "exec", HUB, "sysctl", "-qw", "net.ipv4.ip_forward=1"])?;
        // The machine's side: 10.77.0.1, with a route to every site through the hub.
        run(&["ip", "link", "add", "chaos0", "type", "veth", "peer", "name", "chaosh0", "netns", HUB])?;
        run(&["ip", "addr", "add", "10.77.0.1/24", "dev", "chaos0"])?;
        run(&["ip", "link", "set", "chaos0", "up"])?;
        run(&["ip", "-n", HUB, "addr", "add", "10.77.0.2/24", "dev", "chaosh0"])?;
        run(&["ip", "-n", HUB, "link", "set", "chaosh0", "up"])?;
        run(&["ip", "route", "add", "10.77.0.0/16", "via", "10.77.0.2"])?;
        for (i, site) in self.sites.iter().enumerate() {
            let ns = self.ns(site);
            let subnet = i + 1;
            let (inner, outer) = (format!("chaos{subnet}"), format!("chaosh{subnet}"));
            run(&["ip", "netns", "add", &ns])?;
            run(&["ip", "-n", &ns, "link", "set", "lo", "up"])?;
            run(&["ip", "link", "add", &inner, "netns", &ns, "type", "veth", "peer", "name", &outer, "netns", HUB])?;
            run(&["ip", "-n", &ns, "addr", "add", &format!("10.77.{subnet}.2/24"), "dev", &inner])?;
            run(&["ip", "-n", &ns, "link", "set", &inner, "up"])?;
            run(&["ip", "-n", &ns, "route", "add", "default", "via", &format!("10.77.{subnet}.1")])?;
            run(&["ip", "-n", HUB, "addr", "add", &format!("10.77.{subnet}.1/24"), "dev", &outer])?;
            run(&["ip", "-n", HUB, "link", "set", &outer, "up"])?;
        }
        nft("table inet chaos {\n  chain forward {\n    type filter hook forward priority 0; policy accept;\n  }\n}\n")
    }

    fn index(&self, site: &str) -> Result<usize> {
        self.sites.iter().position(|s| s == site).map(|i| i + 1).with_context(|| format!("no site {site}"))
    }

    /// The namespace of `site`.
    pub fn ns(&self, site: &str) -> String {
        format!("{PREFIX}{site}")
    }

    /// The address of `site`.
    pub fn ip(&self, site: &str) -> Result<Ipv4Addr> {
        let i = self.index(site)? as u8;
        Ok(Ipv4Addr::new(NET[0], NET[1], i, 2))
    }

    fn subnet(&self, site: &str) -> Result<String> {
        Ok(format!("10.77.{}.0/24", self.index(site)?))
    }

    /// Drops every packet between `a` and `b`, both ways.
    pub fn cut(&self, a: &str, b: &str) -> Result<()> {
        self.drop_between(a, b, None)
    }

    /// Drops `percent` % of the packets between `a` and `b`, at random (nftables `numgen`).
    pub fn lose(&self, a: &str, b: &str, percent: u8) -> Result<()> {
        self.drop_between(a, b, Some(percent))
    }

    fn drop_between(&self, a: &str, b: &str, percent: Option<u8>) -> Result<()> {
        let (sa, sb) = (self.subnet(a)?, self.subnet(b)?);
        let sample = percent.map(|p| format!("numgen random mod 100 < {p} ")).unwrap_or_default();
        nft(&format!(
            "add rule inet chaos forward ip saddr {sa} ip daddr {sb} {sample}counter drop\n\
             add rule inet chaos forward ip saddr {sb} ip daddr {sa} {sample}counter drop\n"
        ))
    }

    /// Removes every cut and loss.
    pub fn heal(&self) -> Result<()> {
        nft("flush chain inet chaos forward\n")
    }

    /// Removes the namespaces (their veths, routes and rules go with them).
    pub fn remove(&mut self) {
        if self.removed {
            return;
        }
        self.removed = true;
        for site in &self.sites {
            let _ = run(&["ip", "netns", "del", &self.ns(site)]);
        }
        let _ = run(&["ip", "netns", "del", HUB]);
        let _ = run(&["ip", "link", "del", "chaos0"]);
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        self.remove();
    }
}
