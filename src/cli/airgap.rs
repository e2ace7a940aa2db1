//! `ceremony airgap` (also `ceremony airgap check`): is this machine
//! air-gapped? Prints what was checked and the verdict; exit 0 air-gapped,
//! 1 not, 2 when the kernel's tables cannot be read or trusted.

use clap::{Args, Subcommand};
use serde::Serialize;

use crate::ceremony::airgap::{self, AirGap};
use crate::error::{Error, Result};

/// The long help of `ceremony airgap`: the rules, as the module applies them.
pub const LONG_ABOUT: &str = "\
Check that this machine is air-gapped, as the ceremony does before any key is generated.

Refused (exit 1), each finding named:
  - a network interface other than loopback that is up: its IFF_UP flag set
    (administratively up, even with no cable or no access point yet), its
    operstate anything but down, or a carrier. Loopback is known by its
    IFF_LOOPBACK flag, not its name. A down interface is listed and passes.
  - virtual interfaces (docker0 and other bridges, veth, tun, VLANs) count
    like hardware unless down: what is at their other end cannot be seen
    from here.
  - a default route, IPv4 (main table) or IPv6, unless it only discards
    packets (unreachable, prohibit, blackhole, the kernel's IPv6 null route).
  - a radio (rfkill of any type: wlan, bluetooth, wwan, nfc, ...) that is
    neither soft- nor hard-blocked, and a Wi-Fi phy or Bluetooth controller
    with no rfkill switch at all.

Exit 2 when a table is missing or not understood, or when /sys/class/net and
/proc/net/dev list different interfaces (sysfs of another network namespace).
Read: /sys/class/net, /proc/net/dev, /proc/net/route, /proc/net/ipv6_route,
/sys/class/rfkill, /sys/class/ieee80211, /sys/class/bluetooth.

To fix: ip link set DEV down; ip route del default; rfkill block all; or
unplug the hardware. A ceremony can go on anyway with --allow-network, which
is recorded in its transcript and shown on every screen.

--json prints one object (docs/schema/airgap.json):
  {\"schema\": \"ceremony.airgap/1\", \"ok\": bool, \"allowed_anyway\": bool,
   \"findings\": [{\"kind\": \"interface\"|\"route\"|\"radio\", \"name\": str, \"text\": str}],
   \"passed\":   [same shape: what was looked at and is fine],
   \"sources\":  [the tables read]}";

/// `ceremony airgap [check] [--json]`.
#[derive(Debug, Args)]
pub struct AirgapArgs {
    #[command(subcommand)]
    cmd: Option<AirgapCmd>,
}

#[derive(Debug, Subcommand)]
enum AirgapCmd {
    /// The same check (`ceremony airgap check` = `ceremony airgap`).
    Check,
}

/// The `--json` document: the verdict with its schema name.
#[derive(Serialize)]
struct AirgapDoc<'a> {
    schema: &'static str,
    #[serde(flatten)]
    verdict: &'a AirGap,
}

/// Runs the check and shows it; the error decides the exit status.
pub fn run(a: &AirgapArgs, json: bool) -> Result<()> {
    // `check` names the same check: there is nothing to choose.
    let _ = a.cmd.as_ref();
    let g = airgap::check()?;
    if json {
        super::json::print(&AirgapDoc {
            schema: "ceremony.airgap/1",
            verdict: &g,
        })?;
    } else {
        show(&g);
    }
    if g.ok {
        Ok(())
    } else {
        Err(Error::verification(format!(
            "this machine is not air-gapped: {}",
            g.findings_line()
        ))
        .hint("take interfaces down (ip link set DEV down), remove default routes, block radios (rfkill block all) or unplug them, then check again"))
    }
}

fn show(g: &AirGap) {
    crate::outln!("checked: {}", g.sources.join(", "));
    for o in &g.passed {
        crate::outln!("  ok       {}", o.text);
    }
    for o in &g.findings {
        crate::outln!("  REFUSED  {}", o.text);
    }
    if g.ok {
        crate::outln!("verdict: air-gapped");
    } else {
        crate::outln!(
            "verdict: NOT air-gapped ({} finding{})",
            g.findings.len(),
            if g.findings.len() == 1 { "" } else { "s" }
        );
    }
}
