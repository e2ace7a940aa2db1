//! The judge on captured tables: this build machine's (a VM with eth0 up
//! and a default route), a fresh network namespace's, and realistic
//! variants (a laptop with Wi-Fi and Bluetooth, a docker0 bridge, a down
//! eth0, an IPv6-only default route). Reading is tested on a made-up tree.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::tables::*;
use super::*;
use crate::error::Kind as ErrKind;

// Captured on the build machine (Linux VM, virtio eth0).
const VM_DEV: &str = "Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 419035715   34146    0    0    0     0          0         0 419035715   34146    0    0    0     0       0          0
  ifb0:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
  ifb1:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
  eth0: 171054564    8001    0    0    0     0          0         0   528855    5342    0    0    0     0       0          0
";
const VM_ROUTE: &str = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT                                                       
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0                                                                               
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0                                                                               
";
const VM_ROUTE6: &str = "fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0
00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo
fd000000000000000000000000000002 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000003 00000000 80200001     eth0
ff000000000000000000000000000000 08 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000003 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
";
// A fresh namespace with lo up: no IPv4 table at all, only the kernel's
// IPv6 null route.
const NETNS_ROUTE6: &str = "00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
";
// `ip route add blackhole default` and `ip route add unreachable default`.
const BLACKHOLE_ROUTE: &str =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
*\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0
*\t00000000\t00000000\t0201\t0\t0\t0\t00000000\t0\t0\t0
";
// A laptop on Wi-Fi: wlan0 with a DHCP default route via 192.168.1.1 and an
// IPv6 router fe80::1.
const LAPTOP_ROUTE: &str =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
wlp2s0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
wlp2s0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0
docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
";
const LAPTOP_ROUTE6: &str = "fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000400 00000001 00000000 00000001   wlp2s0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000258 00000003 00000000 00450003   wlp2s0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
";

fn iface(name: &str, flags: &str, oper: &str, carrier: Option<&str>) -> Interface {
    Interface::from_sysfs(name, flags, oper, carrier, None, None).unwrap()
}

fn bridge(name: &str, flags: &str, oper: &str, carrier: Option<&str>) -> Interface {
    Interface::from_sysfs(
        name,
        flags,
        oper,
        carrier,
        Some("DEVTYPE=bridge\nINTERFACE=docker0\nIFINDEX=4\n"),
        Some("../../devices/virtual/net/docker0"),
    )
    .unwrap()
}

fn lo() -> Interface {
    iface("lo", "0x9\n", "unknown\n", Some("1\n"))
}

fn tables(interfaces: Vec<Interface>, routes: Vec<Route>) -> Tables {
    Tables {
        proc_dev: interfaces.iter().map(|i| i.name.clone()).collect(),
        interfaces,
        routes,
        ipv6: true,
        ..Tables::default()
    }
}

fn texts(o: &[Observation]) -> Vec<&str> {
    o.iter().map(|o| o.text.as_str()).collect()
}

fn rfkill(id: &str, kind: &str, name: &str, soft: &str, hard: &str) -> Rfkill {
    parse_rfkill(id, kind, name, soft, hard).unwrap()
}

#[test]
fn parses_the_build_machines_tables() {
    assert_eq!(
        parse_proc_net_dev(VM_DEV).unwrap(),
        ["lo", "ifb0", "ifb1", "eth0"]
    );
    let v4 = parse_route(VM_ROUTE).unwrap();
    assert_eq!(v4.len(), 1, "only the default route: {v4:?}");
    assert_eq!(v4[0].iface, "eth0");
    assert_eq!(v4[0].flags, 0x3);
    if cfg!(target_endian = "little") {
        assert_eq!(v4[0].gateway, Some("192.0.2.1".parse().unwrap()));
    }
    let v6 = parse_ipv6_route(VM_ROUTE6).unwrap();
    assert_eq!(v6.len(), 2, "{v6:?}");
    assert_eq!(v6[0].gateway, Some("fd00::1".parse().unwrap()));
    assert_eq!((v6[0].iface.as_str(), v6[0].flags), ("eth0", 0x3));
    assert_eq!((v6[1].iface.as_str(), v6[1].gateway), ("lo", None));
    assert_eq!(v6[1].flags, 0x0020_0200);
}

#[test]
fn the_build_machine_is_refused_naming_interface_and_routes() {
    let mut t = tables(
        vec![
            iface("eth0", "0x1003\n", "up\n", Some("1\n")),
            iface("ifb0", "0x82\n", "down\n", None),
            iface("ifb1", "0x82\n", "down\n", None),
            lo(),
        ],
        parse_route(VM_ROUTE).unwrap(),
    );
    t.routes.extend(parse_ipv6_route(VM_ROUTE6).unwrap());
    t.proc_dev = parse_proc_net_dev(VM_DEV).unwrap();
    let g = judge(&t).unwrap();
    assert!(!g.ok);
    let f = texts(&g.findings);
    assert!(
        f.contains(&"interface eth0 is up (link up, carrier)"),
        "{f:?}"
    );
    assert!(
        f.contains(&"IPv6 default route via fd00::1 on eth0"),
        "{f:?}"
    );
    if cfg!(target_endian = "little") {
        assert!(f.contains(&"default route via 192.0.2.1 on eth0"), "{f:?}");
    }
    assert_eq!(
        g.findings.len(),
        3,
        "the IPv6 null route on lo is not one: {f:?}"
    );
    let p = texts(&g.passed);
    for want in [
        "interface lo is loopback",
        "interface ifb0 is down",
        "interface ifb1 is down",
        "no radio devices (rfkill, Wi-Fi, Bluetooth)",
    ] {
        assert!(p.contains(&want), "{want} not in {p:?}");
    }
    assert!(!g.allowed_anyway);
}

#[test]
fn a_fresh_namespace_with_only_loopback_passes() {
    let mut t = tables(vec![lo()], parse_route("").unwrap());
    t.routes.extend(parse_ipv6_route(NETNS_ROUTE6).unwrap());
    let g = judge(&t).unwrap();
    assert!(g.ok, "{:?}", g.findings);
    assert!(
        texts(&g.passed).contains(&"no default route (only 1 that discard every packet: unreachable, prohibit or blackhole)"),
        "{:?}",
        g.passed
    );
    // Loopback down passes as well.
    let g = judge(&tables(vec![iface("lo", "0x8", "down", None)], vec![])).unwrap();
    assert!(g.ok);
}

#[test]
fn routes_that_discard_everything_pass_and_any_other_default_refuses() {
    let g = judge(&tables(vec![lo()], parse_route(BLACKHOLE_ROUTE).unwrap())).unwrap();
    assert!(g.ok, "{:?}", g.findings);
    // A default route on loopback that does not reject is still a default route.
    let r = "Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT\nlo 00000000 00000000 0001 0 0 0 00000000 0 0 0\n";
    let g = judge(&tables(vec![lo()], parse_route(r).unwrap())).unwrap();
    assert_eq!(
        texts(&g.findings),
        ["default route on lo (no gateway)"],
        "fail closed"
    );
}

#[test]
fn an_ipv6_only_default_route_refuses_by_itself() {
    // The interfaces all pass (a down eth0 keeps IPv6 routes the kernel
    // has not flushed); the route alone refuses.
    let t = tables(
        vec![lo(), iface("eth0", "0x1002", "down", None)],
        parse_ipv6_route(LAPTOP_ROUTE6)
            .unwrap()
            .into_iter()
            .map(|mut r| {
                if r.iface == "wlp2s0" {
                    r.iface = "eth0".into();
                }
                r
            })
            .collect(),
    );
    let g = judge(&t).unwrap();
    assert_eq!(
        texts(&g.findings),
        ["IPv6 default route via fe80::1 on eth0"]
    );
    assert!(texts(&g.passed).contains(&"interface eth0 is down"));
}

#[test]
fn a_down_eth0_is_reported_and_passes() {
    let g = judge(&tables(
        vec![iface("eth0", "0x1002\n", "down\n", None), lo()],
        vec![],
    ))
    .unwrap();
    assert!(g.ok);
    assert_eq!(
        texts(&g.passed)[..2],
        ["interface eth0 is down", "interface lo is loopback"]
    );
}

#[test]
fn administratively_up_without_a_cable_refuses() {
    let g = judge(&tables(
        vec![iface("eth0", "0x1003", "down", Some("0"))],
        vec![],
    ))
    .unwrap();
    assert_eq!(
        texts(&g.findings),
        ["interface eth0 is up (administratively up, link down, no carrier)"]
    );
}

#[test]
fn any_sign_of_life_counts_when_the_tables_disagree() {
    // Flags say down but the link or the carrier says otherwise: up.
    for (oper, carrier) in [("up", None), ("unknown", None), ("down", Some("1"))] {
        let g = judge(&tables(
            vec![iface("eth1", "0x1002", oper, carrier)],
            vec![],
        ))
        .unwrap();
        assert!(!g.ok, "{oper} {carrier:?}");
        assert!(
            g.findings[0].text.contains("flags down"),
            "{:?}",
            g.findings
        );
    }
}

#[test]
fn docker0_and_veth_count_as_network_unless_down() {
    let up = bridge("docker0", "0x1003", "down", Some("0"));
    let g = judge(&tables(vec![lo(), up], vec![])).unwrap();
    assert_eq!(
        texts(&g.findings),
        ["interface docker0 (virtual bridge) is up (administratively up, link down, no carrier)"]
    );
    let veth = Interface::from_sysfs(
        "veth1a2b3c",
        "0x1003",
        "up",
        Some("1"),
        Some("INTERFACE=veth1a2b3c\n"),
        Some("../../devices/virtual/net/veth1a2b3c"),
    )
    .unwrap();
    let g = judge(&tables(vec![veth], vec![])).unwrap();
    assert_eq!(
        texts(&g.findings),
        ["interface veth1a2b3c (virtual) is up (link up, carrier)"]
    );
    let down = bridge("docker0", "0x1002", "down", None);
    let g = judge(&tables(vec![lo(), down], vec![])).unwrap();
    assert!(g.ok);
    assert!(texts(&g.passed).contains(&"interface docker0 (virtual bridge) is down"));
}

#[test]
fn loopback_is_known_by_its_flag_not_its_name() {
    // A veth renamed lo (after lo was renamed lo0) is a network.
    let fake = iface("lo", "0x1003", "lowerlayerdown", Some("0"));
    let real = iface("lo0", "0x9", "unknown", Some("1"));
    let g = judge(&tables(vec![fake, real], vec![])).unwrap();
    assert_eq!(
        texts(&g.findings),
        ["interface lo is up (administratively up, link lowerlayerdown, no carrier)"]
    );
    assert_eq!(texts(&g.passed)[0], "interface lo0 is loopback");
}

fn laptop(wlan: Interface, soft: &str, bt_soft: &str, routes: &str) -> Tables {
    let mut t = tables(
        vec![lo(), iface("enp0s31f6", "0x1002", "down", None), wlan],
        parse_route(routes).unwrap(),
    );
    t.rfkill = vec![
        rfkill("rfkill0", "wlan\n", "phy0\n", soft, "0\n"),
        rfkill("rfkill1", "bluetooth\n", "hci0\n", bt_soft, "0\n"),
    ];
    t.radios = vec![
        Radio {
            class: "wlan".into(),
            name: "phy0".into(),
            rfkills: vec!["rfkill0".into()],
        },
        Radio {
            class: "bluetooth".into(),
            name: "hci0".into(),
            rfkills: vec!["rfkill1".into()],
        },
    ];
    t
}

fn wlan(flags: &str, oper: &str, carrier: Option<&str>) -> Interface {
    Interface::from_sysfs(
        "wlp2s0",
        flags,
        oper,
        carrier,
        Some("DEVTYPE=wlan\nINTERFACE=wlp2s0\nIFINDEX=3\n"),
        Some("../../devices/pci0000:00/0000:00:1c.0/0000:02:00.0/net/wlp2s0"),
    )
    .unwrap()
}

#[test]
fn a_laptop_on_wifi_is_refused_naming_the_radio() {
    let t = laptop(wlan("0x1003", "up", Some("1")), "0\n", "1\n", LAPTOP_ROUTE);
    let g = judge(&t).unwrap();
    let f = texts(&g.findings);
    assert!(f.contains(&"interface wlp2s0 (wlan) is up (link up, carrier)"));
    assert!(f.contains(&"wlan rfkill0 (phy0) is not blocked"), "{f:?}");
    if cfg!(target_endian = "little") {
        assert!(
            f.contains(&"default route via 192.168.1.1 on wlp2s0"),
            "{f:?}"
        );
    }
    assert_eq!(f.len(), 3, "{f:?}");
    let p = texts(&g.passed);
    assert!(
        p.contains(&"bluetooth rfkill1 (hci0) is blocked (soft)"),
        "{p:?}"
    );
    assert!(p.contains(&"interface enp0s31f6 is down"));
}

#[test]
fn a_laptop_with_radios_blocked_and_wifi_down_passes() {
    let mut t = laptop(wlan("0x1002", "down", None), "1\n", "0\n", "");
    t.rfkill[1].hard = true;
    let g = judge(&t).unwrap();
    assert!(g.ok, "{:?}", g.findings);
    let p = texts(&g.passed);
    assert!(p.contains(&"wlan rfkill0 (phy0) is blocked (soft)"));
    assert!(p.contains(&"bluetooth rfkill1 (hci0) is blocked (hard)"));
    assert!(p.contains(&"interface wlp2s0 (wlan) is down"));
    // Blocked Wi-Fi but Bluetooth on: refused, naming Bluetooth.
    let t = laptop(wlan("0x1002", "down", None), "1", "0", "");
    assert_eq!(
        texts(&judge(&t).unwrap().findings),
        ["bluetooth rfkill1 (hci0) is not blocked"]
    );
}

#[test]
fn every_kind_of_radio_must_be_blocked() {
    for kind in ["wwan", "nfc", "gps", "uwb", "something-new"] {
        let mut t = tables(vec![lo()], vec![]);
        t.rfkill = vec![rfkill("rfkill7", kind, "modem0", "0", "0")];
        let g = judge(&t).unwrap();
        assert_eq!(
            texts(&g.findings),
            [format!("{kind} rfkill7 (modem0) is not blocked").as_str()]
        );
    }
}

#[test]
fn a_radio_without_an_rfkill_switch_refuses() {
    let mut t = tables(vec![lo()], vec![]);
    t.radios = vec![
        Radio {
            class: "wlan".into(),
            name: "phy0".into(),
            rfkills: vec![],
        },
        // Its switch is not in /sys/class/rfkill: not shown to be off.
        Radio {
            class: "bluetooth".into(),
            name: "hci0".into(),
            rfkills: vec!["rfkill9".into()],
        },
    ];
    let g = judge(&t).unwrap();
    assert_eq!(
        texts(&g.findings),
        [
            "wlan phy0 has no rfkill switch, so nothing shows it is off",
            "bluetooth hci0 has no rfkill switch, so nothing shows it is off"
        ]
    );
}

#[test]
fn sysfs_of_another_namespace_stops_the_check() {
    // `nsenter --net` into a namespace with only lo keeps the host's sysfs.
    let mut t = tables(vec![lo(), iface("eth0", "0x1002", "down", None)], vec![]);
    t.proc_dev = vec!["lo".into(), "veth0".into()];
    let e = judge(&t).unwrap_err();
    assert_eq!(e.kind(), ErrKind::Input);
    assert!(
        e.reason()
            .contains("only in /sys: eth0; only in /proc: veth0"),
        "{}",
        e.reason()
    );
    assert!(e.hint_text().unwrap().contains("ip netns exec"));
}

#[test]
fn tables_not_understood_stop_the_check() {
    let cases: Vec<(&str, Result<Vec<Route>>)> = vec![
        ("route header", parse_route("Destination Gateway\n")),
        (
            "route fields",
            parse_route("Iface x\neth0 00000000 00000000 0003\n"),
        ),
        (
            "route hex",
            parse_route("Iface\neth0 0000000G 00000000 0003 0 0 0 00000000 0 0 0\n"),
        ),
        ("ipv6 fields", parse_ipv6_route("0000 00 eth0\n")),
        (
            "ipv6 address",
            parse_ipv6_route(&VM_ROUTE6.replacen("fd00", "fd0x", 1)),
        ),
        (
            "ipv6 prefix",
            parse_ipv6_route(&NETNS_ROUTE6.replacen(" 80 ", " 81 ", 1)),
        ),
    ];
    for (what, r) in cases {
        let e = r.expect_err(what);
        assert_eq!(e.kind(), ErrKind::Input, "{what}");
        assert!(e.hint_text().is_some(), "{what}");
    }
    assert!(parse_proc_net_dev("lo: 1 2 3\n").is_err());
    assert!(parse_proc_net_dev(&VM_DEV.replace("eth0:", "eth0 ")).is_err());
    assert!(parse_proc_net_dev(&VM_DEV.replace(" 5342 ", " x ")).is_err());
    assert!(Interface::from_sysfs("eth0", "up", "up", None, None, None).is_err());
    assert!(Interface::from_sysfs("eth0", "0x1003", "", None, None, None).is_err());
    assert!(parse_rfkill("rfkill0", "wlan", "phy0", "2", "0").is_err());
    assert!(parse_rfkill("rfkill0", "wlan", "phy0", "0", "").is_err());
}

#[test]
fn allow_network_goes_on_and_says_so() {
    let bad = judge(&tables(
        vec![iface("eth0", "0x1003", "up", Some("1"))],
        vec![],
    ))
    .unwrap();
    let e = allow_or_refuse(bad.clone(), false).unwrap_err();
    assert_eq!(e.kind(), ErrKind::Verification);
    assert_eq!(
        e.reason(),
        "this machine is not air-gapped: interface eth0 is up (link up, carrier)"
    );
    assert!(e.hint_text().unwrap().contains("--allow-network"));
    let g = allow_or_refuse(bad, true).unwrap();
    assert!(!g.ok && g.allowed_anyway);
    assert_eq!(g.banner(), "NETWORK ALLOWED (1 found)");
    let good = judge(&tables(vec![lo()], vec![])).unwrap();
    let g = allow_or_refuse(good, true).unwrap();
    assert!(g.ok && !g.allowed_anyway, "nothing needed allowing");
    assert_eq!(g.banner(), "AIR-GAP OK");
}

mod tree {
    //! `read_tables` on a made-up /sys and /proc.
    use super::*;
    use std::fs;
    use std::path::Path;

    fn write(p: &Path, text: &str) {
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    fn netdev(sys: &Path, name: &str, flags: &str, oper: &str, carrier: Option<&str>) {
        let d = sys.join("class/net").join(name);
        write(&d.join("flags"), flags);
        write(&d.join("operstate"), oper);
        if let Some(c) = carrier {
            write(&d.join("carrier"), c);
        }
    }

    fn laptop_tree() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        let (sys, proc) = (t.path().join("sys"), t.path().join("proc"));
        netdev(&sys, "lo", "0x9\n", "unknown\n", Some("1\n"));
        netdev(&sys, "eth0", "0x1002\n", "down\n", None);
        // A virtual device is a link into devices/virtual, as in sysfs.
        let v = sys.join("devices/virtual/net/docker0");
        write(&v.join("flags"), "0x1002\n");
        write(&v.join("operstate"), "down\n");
        write(&v.join("uevent"), "DEVTYPE=bridge\nINTERFACE=docker0\n");
        std::os::unix::fs::symlink(
            "../../devices/virtual/net/docker0",
            sys.join("class/net/docker0"),
        )
        .unwrap();
        // Bonding adds a file among the interfaces.
        write(&sys.join("class/net/bonding_masters"), "\n");
        write(
            &proc.join("net/dev"),
            &VM_DEV
                .lines()
                .take(3)
                .chain([
                    "  eth0: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0",
                    "docker0: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0",
                ])
                .collect::<Vec<_>>()
                .join("\n"),
        );
        write(&proc.join("net/route"), "");
        let rf = sys.join("class/rfkill/rfkill0");
        for (f, v) in [
            ("type", "wlan\n"),
            ("name", "phy0\n"),
            ("soft", "1\n"),
            ("hard", "0\n"),
        ] {
            write(&rf.join(f), v);
        }
        fs::create_dir_all(sys.join("class/ieee80211/phy0/rfkill0")).unwrap();
        fs::create_dir_all(sys.join("class/bluetooth/hci0")).unwrap();
        fs::create_dir_all(sys.join("class/bluetooth/hci0:11")).unwrap();
        t
    }

    #[test]
    fn reads_a_laptop_tree() {
        let t = laptop_tree();
        let tab = read_tables(&t.path().join("sys"), &t.path().join("proc")).unwrap();
        let names: Vec<&str> = tab.interfaces.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(
            names,
            ["docker0", "eth0", "lo"],
            "bonding_masters is no interface"
        );
        assert!(tab.interfaces[0].virtual_dev);
        assert_eq!(tab.interfaces[0].devtype.as_deref(), Some("bridge"));
        assert_eq!(tab.interfaces[1].carrier, None);
        assert!(!tab.ipv6, "no ipv6_route: IPv6 is off");
        assert_eq!(tab.rfkill, [rfkill("rfkill0", "wlan", "phy0", "1", "0")]);
        let radios: Vec<(&str, &[String])> = tab
            .radios
            .iter()
            .map(|r| (r.name.as_str(), r.rfkills.as_slice()))
            .collect();
        assert_eq!(
            radios,
            [("phy0", &["rfkill0".to_string()][..]), ("hci0", &[][..])],
            "a controller, not its connection hci0:11"
        );
        let g = judge(&tab).unwrap();
        assert_eq!(
            texts(&g.findings),
            ["bluetooth hci0 has no rfkill switch, so nothing shows it is off"]
        );
        assert!(
            texts(&g.passed).contains(&"no default route; IPv6 is not enabled in this kernel"),
            "{:?}",
            g.passed
        );
    }

    #[test]
    fn a_missing_table_stops_the_check() {
        for gone in ["sys/class/net", "proc/net/dev", "proc/net/route"] {
            let t = laptop_tree();
            let p = t.path().join(gone);
            if p.is_dir() {
                fs::remove_dir_all(&p).unwrap();
            } else {
                fs::remove_file(&p).unwrap();
            }
            let e = check_at(&t.path().join("sys"), &t.path().join("proc")).unwrap_err();
            assert_eq!(e.kind(), ErrKind::Input, "{gone}");
            assert!(e.reason().contains(gone), "{gone}: {}", e.reason());
        }
    }

    #[test]
    fn an_interface_name_that_is_not_utf8_is_shown_not_lost() {
        use std::os::unix::ffi::OsStrExt;
        let t = laptop_tree();
        let sys = t.path().join("sys");
        let name = std::ffi::OsStr::from_bytes(b"et\xffh\x1b[2J");
        let d = sys.join("class/net").join(name);
        write(&d.join("flags"), "0x1003\n");
        write(&d.join("operstate"), "up\n");
        let dev = t.path().join("proc/net/dev");
        let mut text = fs::read(&dev).unwrap();
        text.extend_from_slice(b"\net\xffh\x1b[2J: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
        fs::write(&dev, text).unwrap();
        let g = check_at(&sys, &t.path().join("proc")).unwrap();
        assert_eq!(
            texts(&g.findings)[0],
            "interface et\u{fffd}h\u{1b}[2J is up (link up)"
        );
    }

    #[test]
    fn a_router_sized_table_is_refused_unread() {
        let t = laptop_tree();
        let line = "eth0\t0A000000\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0\n";
        let mut big = String::from("Iface\n");
        while big.len() <= 32 * 1024 * 1024 {
            big.push_str(line);
        }
        fs::write(t.path().join("proc/net/route"), big).unwrap();
        let e = check_at(&t.path().join("sys"), &t.path().join("proc")).unwrap_err();
        assert!(e.reason().contains("larger than"), "{}", e.reason());
    }
}
