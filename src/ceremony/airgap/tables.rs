//! The kernel's tables the air-gap check reads, parsed. Parsing is pure
//! (text in, rows out) so it can be tested on captured files; reading the
//! files is at the edge, in [`read_tables`], rooted at a `/sys` and a
//! `/proc` so tests can point it at a made-up tree.
//!
//! Every parser fails closed: a line it does not understand is an error
//! (the check then exits 2), never a line skipped, so a format change in a
//! future kernel cannot turn into a silent pass.

use std::ffi::OsString;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The most bytes read of one kernel table. A router's full routing table
/// is larger; such a machine is no air-gapped one, and is refused as
/// unreadable rather than read into memory.
const TABLE_BYTES: u64 = 32 * 1024 * 1024;

/// One network interface as sysfs shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// The interface name (lossy UTF-8).
    pub name: String,
    /// `flags`: the kernel's `IFF_*` bits (`IFF_UP` 0x1, `IFF_LOOPBACK` 0x8).
    pub flags: u32,
    /// `operstate` (RFC 2863): up, down, unknown, dormant, lowerlayerdown, …
    pub operstate: String,
    /// `carrier`, which the kernel only answers while the interface is up.
    pub carrier: Option<bool>,
    /// `DEVTYPE` from `uevent` (bridge, wlan, vlan, …), when given.
    pub devtype: Option<String>,
    /// A software device (bridge, veth, tun, …) rather than hardware.
    pub virtual_dev: bool,
}

/// IPv4 or IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `/proc/net/route` (the main table only).
    V4,
    /// `/proc/net/ipv6_route` (every table).
    V6,
}

/// A default route: one that matches every destination (prefix length 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Which table it came from.
    pub family: Family,
    /// The next hop, when there is one.
    pub gateway: Option<IpAddr>,
    /// The device, `*` for none (a blackhole or unreachable IPv4 route).
    pub iface: String,
    /// The kernel's `RTF_*` bits (`RTF_GATEWAY` 0x2, `RTF_REJECT` 0x200).
    pub flags: u32,
}

/// One rfkill switch (`/sys/class/rfkill/rfkillN`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rfkill {
    /// `rfkillN`.
    pub id: String,
    /// `type`: wlan, bluetooth, wwan, uwb, wimax, gps, fm, nfc.
    pub kind: String,
    /// `name`: the device it switches (phy0, hci0).
    pub name: String,
    /// `soft`: blocked by software (`rfkill block`).
    pub soft: bool,
    /// `hard`: blocked by a hardware switch.
    pub hard: bool,
}

/// A radio the kernel knows as such (a Wi-Fi phy or a Bluetooth
/// controller), with the rfkill switches found under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Radio {
    /// `wlan` (`/sys/class/ieee80211`) or `bluetooth` (`/sys/class/bluetooth`).
    pub class: String,
    /// phy0, hci0.
    pub name: String,
    /// The `rfkillN` entries under the device.
    pub rfkills: Vec<String>,
}

/// Everything the judge looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tables {
    /// `/sys/class/net`.
    pub interfaces: Vec<Interface>,
    /// The interface names in `/proc/net/dev`, which is always this
    /// process's network namespace (sysfs may be another's).
    pub proc_dev: Vec<String>,
    /// Default routes, IPv4 and IPv6.
    pub routes: Vec<Route>,
    /// Whether the kernel has IPv6 (`/proc/net/ipv6_route` exists).
    pub ipv6: bool,
    /// `/sys/class/rfkill`.
    pub rfkill: Vec<Rfkill>,
    /// `/sys/class/ieee80211` and `/sys/class/bluetooth`.
    pub radios: Vec<Radio>,
}

fn bad(what: &str, why: impl std::fmt::Display) -> Error {
    Error::input(format!("cannot understand {what}: {why}"))
        .hint("the air-gap check reads the Linux kernel's tables; run it on the ceremony machine itself (Linux, /proc and /sys mounted)")
}

fn hex_u32(what: &str, s: &str) -> Result<u32> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    u32::from_str_radix(digits, 16).map_err(|_| bad(what, format!("{s:?} is not a hex number")))
}

fn bit(what: &str, s: &str) -> Result<bool> {
    match s.trim() {
        "0" => Ok(false),
        "1" => Ok(true),
        other => Err(bad(what, format!("{other:?} is neither 0 nor 1"))),
    }
}

impl Interface {
    /// One interface from the text of its sysfs files: `flags` and
    /// `operstate` are required; `carrier` (unreadable while the interface
    /// is down), `uevent` and the link target of `/sys/class/net/NAME` are
    /// optional.
    pub fn from_sysfs(
        name: &str,
        flags: &str,
        operstate: &str,
        carrier: Option<&str>,
        uevent: Option<&str>,
        link: Option<&str>,
    ) -> Result<Interface> {
        let what = format!("/sys/class/net/{name}");
        let flags = hex_u32(&format!("{what}/flags"), flags.trim())?;
        let operstate = operstate.trim();
        if operstate.is_empty() || !operstate.chars().all(|c| c.is_ascii_lowercase()) {
            return Err(bad(
                &format!("{what}/operstate"),
                format!("{operstate:?} is not a state"),
            ));
        }
        // A carrier that cannot be read is no carrier reported; it only
        // adds detail, whether the interface counts as up does not rest on it.
        let carrier = carrier.and_then(|c| match c.trim() {
            "0" => Some(false),
            "1" => Some(true),
            _ => None,
        });
        let devtype = uevent.and_then(|u| {
            u.lines()
                .find_map(|l| l.strip_prefix("DEVTYPE="))
                .map(|d| d.trim().to_string())
        });
        Ok(Interface {
            name: name.to_string(),
            flags,
            operstate: operstate.to_string(),
            carrier,
            devtype,
            virtual_dev: link.is_some_and(|l| l.contains("/devices/virtual/")),
        })
    }
}

/// The interface names of `/proc/net/dev`.
pub fn parse_proc_net_dev(text: &str) -> Result<Vec<String>> {
    const WHAT: &str = "/proc/net/dev";
    let mut lines = text.lines();
    let (h1, h2) = (lines.next(), lines.next());
    if !h1.is_some_and(|l| l.starts_with("Inter-|")) || !h2.is_some_and(|l| l.contains("face |")) {
        return Err(bad(WHAT, "the header is not the kernel's"));
    }
    let mut names = Vec::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let (name, counters) = line
            .split_once(':')
            .ok_or_else(|| bad(WHAT, format!("no interface name in {line:?}")))?;
        let name = name.trim();
        let fields: Vec<&str> = counters.split_whitespace().collect();
        if name.is_empty() || fields.len() != 16 || fields.iter().any(|f| f.parse::<u64>().is_err())
        {
            return Err(bad(WHAT, format!("{line:?} is not an interface line")));
        }
        names.push(name.to_string());
    }
    Ok(names)
}

/// The default routes of `/proc/net/route` (IPv4, main table). A
/// namespace without IPv4 configuration has an empty file, header and all.
pub fn parse_route(text: &str) -> Result<Vec<Route>> {
    const WHAT: &str = "/proc/net/route";
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    match lines.next() {
        None => return Ok(Vec::new()),
        Some(h) if h.split_whitespace().next() == Some("Iface") => {}
        Some(_) => return Err(bad(WHAT, "the header is not the kernel's")),
    }
    let mut routes = Vec::new();
    for line in lines {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 11 {
            return Err(bad(
                WHAT,
                format!("{line:?} has {} fields, not 11", f.len()),
            ));
        }
        let gateway = hex_u32(WHAT, f[2])?;
        let flags = hex_u32(WHAT, f[3])?;
        let mask = hex_u32(WHAT, f[7])?;
        hex_u32(WHAT, f[1])?;
        if mask != 0 {
            continue;
        }
        // The kernel prints the address's network-order bytes as a host
        // integer, so the host's byte order gives them back.
        let gateway = (gateway != 0).then(|| IpAddr::V4(Ipv4Addr::from(gateway.to_ne_bytes())));
        routes.push(Route {
            family: Family::V4,
            gateway,
            iface: f[0].to_string(),
            flags,
        });
    }
    Ok(routes)
}

fn hex_v6(what: &str, s: &str) -> Result<u128> {
    if s.len() != 32 {
        return Err(bad(what, format!("{s:?} is not an IPv6 address")));
    }
    u128::from_str_radix(s, 16).map_err(|_| bad(what, format!("{s:?} is not an IPv6 address")))
}

/// The default routes of `/proc/net/ipv6_route` (every table, the
/// kernel's own unreachable routes included).
pub fn parse_ipv6_route(text: &str) -> Result<Vec<Route>> {
    const WHAT: &str = "/proc/net/ipv6_route";
    let mut routes = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 10 {
            return Err(bad(
                WHAT,
                format!("{line:?} has {} fields, not 10", f.len()),
            ));
        }
        hex_v6(WHAT, f[0])?;
        let prefix_len = hex_u32(WHAT, f[1])?;
        hex_v6(WHAT, f[2])?;
        let next_hop = hex_v6(WHAT, f[4])?;
        let flags = hex_u32(WHAT, f[8])?;
        if prefix_len > 128 {
            return Err(bad(WHAT, format!("prefix length {prefix_len} in {line:?}")));
        }
        if prefix_len != 0 {
            continue;
        }
        routes.push(Route {
            family: Family::V6,
            gateway: (next_hop != 0).then(|| IpAddr::V6(Ipv6Addr::from(next_hop))),
            iface: f[9].to_string(),
            flags,
        });
    }
    Ok(routes)
}

/// One rfkill switch from the text of its sysfs files.
pub fn parse_rfkill(id: &str, kind: &str, name: &str, soft: &str, hard: &str) -> Result<Rfkill> {
    let what = format!("/sys/class/rfkill/{id}");
    Ok(Rfkill {
        id: id.to_string(),
        kind: kind.trim().to_string(),
        name: name.trim().to_string(),
        soft: bit(&format!("{what}/soft"), soft)?,
        hard: bit(&format!("{what}/hard"), hard)?,
    })
}

// ---- reading, at the edge ------------------------------------------------

fn unreadable(path: &Path, e: std::io::Error) -> Error {
    Error::input(format!("cannot read {}: {e}", path.display())).hint(
        "run the air-gap check on the ceremony machine itself (Linux, /proc and /sys mounted)",
    )
}

/// A kernel file, capped; `None` when it does not exist (a device that
/// went away while being read, a table this kernel does not have).
fn read_opt(path: &Path) -> Result<Option<String>> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unreadable(path, e)),
    };
    let mut bytes = Vec::new();
    file.take(TABLE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(path, e))?;
    if bytes.len() as u64 > TABLE_BYTES {
        return Err(Error::input(format!(
            "{} is larger than {TABLE_BYTES} bytes: this machine has a router's tables",
            path.display()
        ))
        .hint("a ceremony machine has no routes to speak of; use one that was never connected"));
    }
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

fn read_req(path: &Path) -> Result<String> {
    read_opt(path)?
        .ok_or_else(|| unreadable(path, std::io::Error::from(std::io::ErrorKind::NotFound)))
}

/// The entries of a directory, sorted; `None` when it does not exist.
fn list(dir: &Path) -> Result<Option<Vec<OsString>>> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unreadable(dir, e)),
    };
    let mut names = Vec::new();
    for e in rd {
        names.push(e.map_err(|e| unreadable(dir, e))?.file_name());
    }
    names.sort();
    Ok(Some(names))
}

fn read_interface(dir: &Path, name: &OsString) -> Result<Option<Interface>> {
    let path = dir.join(name);
    // Not every entry is an interface: bonding adds a `bonding_masters` file.
    if !path.is_dir() {
        return Ok(None);
    }
    // An interface removed while being read is simply not there; if it
    // comes back, /proc/net/dev (read after) names it and the tables disagree.
    let (Some(flags), Some(oper)) = (
        read_opt(&path.join("flags"))?,
        read_opt(&path.join("operstate"))?,
    ) else {
        return Ok(None);
    };
    // The kernel refuses to read `carrier` while the interface is down.
    let carrier = read_opt(&path.join("carrier")).ok().flatten();
    let uevent = read_opt(&path.join("uevent"))?;
    let link = std::fs::read_link(&path).ok();
    let link = link.as_ref().map(|l| l.to_string_lossy());
    Interface::from_sysfs(
        &name.to_string_lossy(),
        &flags,
        &oper,
        carrier.as_deref(),
        uevent.as_deref(),
        link.as_deref(),
    )
    .map(Some)
}

fn read_rfkill(dir: &Path, id: &OsString) -> Result<Option<Rfkill>> {
    let path = dir.join(id);
    let mut text = Vec::new();
    for f in ["type", "name", "soft", "hard"] {
        match read_opt(&path.join(f))? {
            Some(t) => text.push(t),
            None => return Ok(None),
        }
    }
    parse_rfkill(
        &id.to_string_lossy(),
        &text[0],
        &text[1],
        &text[2],
        &text[3],
    )
    .map(Some)
}

fn is_rfkill_name(n: &str) -> bool {
    n.strip_prefix("rfkill")
        .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
}

fn read_radios(class_dir: PathBuf, class: &str, keep: fn(&str) -> bool) -> Result<Vec<Radio>> {
    let mut radios = Vec::new();
    for name in list(&class_dir)?.unwrap_or_default() {
        let shown = name.to_string_lossy().into_owned();
        if !keep(&shown) {
            continue;
        }
        let Some(children) = list(&class_dir.join(&name))? else {
            continue;
        };
        radios.push(Radio {
            class: class.to_string(),
            name: shown,
            rfkills: children
                .iter()
                .map(|c| c.to_string_lossy().into_owned())
                .filter(|c| is_rfkill_name(c))
                .collect(),
        });
    }
    Ok(radios)
}

/// Reads every table under `sys` (normally `/sys`) and `proc` (normally
/// `/proc`). `/sys/class/net`, `/proc/net/dev` and `/proc/net/route` must
/// exist; the IPv6 table exists when the kernel has IPv6; the radio classes
/// exist when there is such hardware or its driver is loaded.
pub fn read_tables(sys: &Path, proc: &Path) -> Result<Tables> {
    let net = sys.join("class/net");
    let names = list(&net)?
        .ok_or_else(|| unreadable(&net, std::io::Error::from(std::io::ErrorKind::NotFound)))?;
    let mut interfaces = Vec::new();
    for n in &names {
        interfaces.extend(read_interface(&net, n)?);
    }
    // Read after sysfs: see read_interface.
    let proc_dev = parse_proc_net_dev(&read_req(&proc.join("net/dev"))?)?;
    let mut routes = parse_route(&read_req(&proc.join("net/route"))?)?;
    let v6 = read_opt(&proc.join("net/ipv6_route"))?;
    if let Some(t) = &v6 {
        routes.extend(parse_ipv6_route(t)?);
    }
    let rf = sys.join("class/rfkill");
    let mut rfkill = Vec::new();
    for id in list(&rf)?.unwrap_or_default() {
        if is_rfkill_name(&id.to_string_lossy()) {
            rfkill.extend(read_rfkill(&rf, &id)?);
        }
    }
    let mut radios = read_radios(sys.join("class/ieee80211"), "wlan", |_| true)?;
    radios.extend(read_radios(
        sys.join("class/bluetooth"),
        "bluetooth",
        // Only controllers (hci0), not their connections (hci0:11).
        |n| {
            n.strip_prefix("hci")
                .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
        },
    )?);
    Ok(Tables {
        interfaces,
        proc_dev,
        routes,
        ipv6: v6.is_some(),
        rfkill,
        radios,
    })
}
