//! The air-gap check: before a key is generated, the machine must have no
//! way to reach a network. It reads the kernel's tables (see [`tables`]),
//! and a pure judge ([`judge`]) decides. The rules:
//!
//! - **Interfaces** (`/sys/class/net`). The loopback device passes, known by
//!   its `IFF_LOOPBACK` flag, which only the kernel's loopback driver sets
//!   (not by its name: any interface can be renamed `lo`). Every other
//!   interface counts as **up**, and refuses, when any one of these holds:
//!   its `IFF_UP` flag is set (administratively up), its `operstate` is not
//!   `down` (or `notpresent`), or it reports a carrier. Administratively up
//!   without a link refuses too: a cable plugged in or an access point in
//!   range later makes it live with nothing done at the machine. An
//!   interface that exists and is down is reported and passes.
//! - **Virtual interfaces** (bridges such as `docker0`, veth pairs, tun,
//!   VLANs, bonds) count like hardware: from inside this namespace one
//!   cannot see what is at the other end (a container, a VPN, a physical
//!   NIC on the bridge), so a live one is treated as a cable.
//! - **Default routes** (`/proc/net/route`, `/proc/net/ipv6_route`): any
//!   route matching every destination refuses, naming its gateway and
//!   device, unless it only discards packets (`RTF_REJECT`: unreachable
//!   and prohibit routes, the kernel's own IPv6 null route on `lo`; or no
//!   device at all: an IPv4 blackhole). `/proc/net/route` shows only the
//!   main IPv4 table; a default route in another table still needs an
//!   interface that is up, which refuses on its own.
//! - **Radios** (`/sys/class/rfkill`): every rfkill switch of any type
//!   (wlan, bluetooth, wwan, nfc, gps, …) must be soft- or hard-blocked; a
//!   radio is a radio whatever it is for. A Wi-Fi phy
//!   (`/sys/class/ieee80211`) or Bluetooth controller
//!   (`/sys/class/bluetooth`) with no rfkill switch at all refuses as well,
//!   since nothing shows it to be off.
//! - **Which namespace**: `/proc/net/*` is always this process's network
//!   namespace, `/sys/class/net` the namespace of whoever mounted sysfs
//!   (`nsenter --net` keeps the old one). When the two list different
//!   interfaces the check cannot tell which is true and stops (exit 2).
//!
//! A table that is missing or not understood stops the check (exit 2): it
//! never passes for want of a reading. `--allow-network` goes on anyway;
//! the [`AirGap`] then says so (`allowed_anyway`), for the transcript and
//! every screen.

pub mod tables;

use serde::Serialize;
use std::collections::BTreeSet;
use std::path::Path;

use crate::error::{Error, Result};
pub use tables::{Family, Interface, Radio, Rfkill, Route, Tables, read_tables};

const IFF_UP: u32 = 0x1;
const IFF_LOOPBACK: u32 = 0x8;
const RTF_REJECT: u32 = 0x0200;

/// The places the check reads, as shown to the people in the room.
pub const SOURCES: &[&str] = &[
    "/sys/class/net",
    "/proc/net/dev",
    "/proc/net/route",
    "/proc/net/ipv6_route",
    "/sys/class/rfkill",
    "/sys/class/ieee80211",
    "/sys/class/bluetooth",
];

/// What an observation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A network interface.
    Interface,
    /// A default route.
    Route,
    /// A radio: an rfkill switch, a Wi-Fi phy, a Bluetooth controller.
    Radio,
}

/// One thing the check found, in a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Observation {
    /// What it is about.
    pub kind: Kind,
    /// The interface, route device or radio it names; empty for a summary
    /// ("no default route", "no radio devices").
    pub name: String,
    /// The sentence shown and recorded, e.g. "interface eth0 is up (link up, carrier)".
    pub text: String,
}

/// The verdict on the machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AirGap {
    /// No finding: the machine is air-gapped as far as the kernel tells.
    pub ok: bool,
    /// Not air-gapped, and the ceremony went on because `--allow-network` was given.
    pub allowed_anyway: bool,
    /// What refuses the machine.
    pub findings: Vec<Observation>,
    /// What was looked at and passed (down interfaces, loopback, blocked radios).
    pub passed: Vec<Observation>,
    /// The tables read.
    pub sources: Vec<String>,
}

impl AirGap {
    /// The findings in one line, `; `-separated.
    pub fn findings_line(&self) -> String {
        let texts: Vec<&str> = self.findings.iter().map(|f| f.text.as_str()).collect();
        texts.join("; ")
    }

    /// A short state for the frame of every screen.
    pub fn banner(&self) -> String {
        match (self.ok, self.allowed_anyway) {
            (true, _) => "AIR-GAP OK".to_string(),
            (false, true) => format!("NETWORK ALLOWED ({} found)", self.findings.len()),
            (false, false) => format!("NOT AIR-GAPPED ({} found)", self.findings.len()),
        }
    }
}

fn obs(kind: Kind, name: &str, text: String) -> Observation {
    Observation {
        kind,
        name: name.to_string(),
        text,
    }
}

/// The judge: pure, over parsed tables. An error means the tables cannot
/// be trusted (they describe different namespaces).
pub fn judge(t: &Tables) -> Result<AirGap> {
    check_same_namespace(t)?;
    let mut findings = Vec::new();
    let mut passed = Vec::new();
    for i in &t.interfaces {
        let (refuses, o) = judge_interface(i);
        if refuses {
            findings.push(o);
        } else {
            passed.push(o);
        }
    }
    judge_routes(t, &mut findings, &mut passed);
    judge_radios(t, &mut findings, &mut passed);
    Ok(AirGap {
        ok: findings.is_empty(),
        allowed_anyway: false,
        findings,
        passed,
        sources: SOURCES.iter().map(|s| s.to_string()).collect(),
    })
}

fn check_same_namespace(t: &Tables) -> Result<()> {
    let sys: BTreeSet<&str> = t.interfaces.iter().map(|i| i.name.as_str()).collect();
    let proc: BTreeSet<&str> = t.proc_dev.iter().map(String::as_str).collect();
    if sys == proc {
        return Ok(());
    }
    let only = |a: &BTreeSet<&str>, b: &BTreeSet<&str>| {
        let v: Vec<&str> = a.difference(b).copied().collect();
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    Err(Error::input(format!(
        "/sys/class/net and /proc/net/dev list different interfaces (only in /sys: {}; only in /proc: {}): sysfs belongs to another network namespace, or interfaces changed while being read",
        only(&sys, &proc),
        only(&proc, &sys)
    ))
    .hint("run the check again; to check a namespace, enter it with `ip netns exec`, which mounts its own sysfs"))
}

fn describe(i: &Interface) -> String {
    let mut what = Vec::new();
    if i.virtual_dev {
        what.push("virtual");
    }
    if let Some(d) = &i.devtype {
        what.push(d.as_str());
    }
    if what.is_empty() {
        format!("interface {}", i.name)
    } else {
        format!("interface {} ({})", i.name, what.join(" "))
    }
}

fn judge_interface(i: &Interface) -> (bool, Observation) {
    if i.flags & IFF_LOOPBACK != 0 {
        let text = format!("interface {} is loopback", i.name);
        return (false, obs(Kind::Interface, &i.name, text));
    }
    let who = describe(i);
    let admin_up = i.flags & IFF_UP != 0;
    let oper = i.operstate.as_str();
    let link_down = oper == "down" || oper == "notpresent";
    if !admin_up && link_down && i.carrier != Some(true) {
        return (
            false,
            obs(Kind::Interface, &i.name, format!("{who} is down")),
        );
    }
    let mut state = vec![match (admin_up, oper) {
        (true, "up") => "link up".to_string(),
        (true, o) => format!("administratively up, link {o}"),
        (false, o) => format!("flags down, link {o}"),
    }];
    match i.carrier {
        Some(true) => state.push("carrier".into()),
        Some(false) => state.push("no carrier".into()),
        None => {}
    }
    (
        true,
        obs(
            Kind::Interface,
            &i.name,
            format!("{who} is up ({})", state.join(", ")),
        ),
    )
}

fn judge_routes(t: &Tables, findings: &mut Vec<Observation>, passed: &mut Vec<Observation>) {
    let mut discarding = 0;
    for r in &t.routes {
        if r.flags & RTF_REJECT != 0 || r.iface == "*" {
            discarding += 1;
            continue;
        }
        let family = match r.family {
            Family::V4 => "",
            Family::V6 => "IPv6 ",
        };
        let text = match r.gateway {
            Some(gw) => format!("{family}default route via {gw} on {}", r.iface),
            None => format!("{family}default route on {} (no gateway)", r.iface),
        };
        findings.push(obs(Kind::Route, &r.iface, text));
    }
    if findings.iter().all(|f| f.kind != Kind::Route) {
        let mut text = "no default route".to_string();
        if discarding > 0 {
            text.push_str(&format!(
                " (only {discarding} that discard every packet: unreachable, prohibit or blackhole)"
            ));
        }
        if !t.ipv6 {
            text.push_str("; IPv6 is not enabled in this kernel");
        }
        passed.push(obs(Kind::Route, "", text));
    }
}

fn judge_radios(t: &Tables, findings: &mut Vec<Observation>, passed: &mut Vec<Observation>) {
    for k in &t.rfkill {
        let who = format!("{} {} ({})", k.kind, k.id, k.name);
        let how = match (k.soft, k.hard) {
            (false, false) => {
                findings.push(obs(Kind::Radio, &k.id, format!("{who} is not blocked")));
                continue;
            }
            (true, false) => "soft",
            (false, true) => "hard",
            (true, true) => "soft and hard",
        };
        passed.push(obs(Kind::Radio, &k.id, format!("{who} is blocked ({how})")));
    }
    for r in &t.radios {
        let known: Vec<&String> = r
            .rfkills
            .iter()
            .filter(|id| t.rfkill.iter().any(|k| &k.id == *id))
            .collect();
        if known.is_empty() {
            findings.push(obs(
                Kind::Radio,
                &r.name,
                format!(
                    "{} {} has no rfkill switch, so nothing shows it is off",
                    r.class, r.name
                ),
            ));
        }
    }
    if t.rfkill.is_empty() && t.radios.is_empty() {
        passed.push(obs(
            Kind::Radio,
            "",
            "no radio devices (rfkill, Wi-Fi, Bluetooth)".to_string(),
        ));
    }
}

/// Checks the tables under `sys` and `proc` (made-up trees in tests).
pub fn check_at(sys: &Path, proc: &Path) -> Result<AirGap> {
    judge(&read_tables(sys, proc)?)
}

/// Checks this machine: `/sys` and `/proc`. An error means the tables could
/// not be read or trusted (exit 2); a machine that is not air-gapped is an
/// `AirGap` with `ok: false`.
pub fn check() -> Result<AirGap> {
    check_at(Path::new("/sys"), Path::new("/proc"))
}

/// What the engine calls before any key is generated: the verdict when the
/// machine is air-gapped, or when `allow` (`--allow-network`) lets it go on
/// (then `allowed_anyway` is set); otherwise a verification error (exit 1)
/// naming what was found.
pub fn require_airgap(allow: bool) -> Result<AirGap> {
    allow_or_refuse(check()?, allow)
}

/// The decision of [`require_airgap`] on a verdict already made.
pub fn allow_or_refuse(mut g: AirGap, allow: bool) -> Result<AirGap> {
    if g.ok {
        return Ok(g);
    }
    if allow {
        g.allowed_anyway = true;
        return Ok(g);
    }
    Err(Error::verification(format!(
        "this machine is not air-gapped: {}",
        g.findings_line()
    ))
    .hint("take interfaces down (ip link set DEV down), block radios (rfkill block all) or unplug them, and check again with `ceremony airgap`; or go on with --allow-network, which is recorded in the transcript and shown on every screen"))
}

#[cfg(test)]
mod tests;
