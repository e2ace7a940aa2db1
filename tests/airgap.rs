//! `ceremony airgap` against the real kernel: network namespaces made with
//! `ip netns` (root, iproute2), the binary run inside with `ip netns exec`,
//! which also mounts the namespace's own sysfs. Where namespaces cannot be
//! made the tests explain and skip, except in CI (CI=true), where they fail.
//! Every namespace is deleted by a guard, also when an assertion fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Run, need_peer};
use serde_json::Value;
use std::process::{Command, Stdio};

/// A network namespace, deleted on drop.
struct Netns {
    name: String,
}

impl Netns {
    /// A new empty namespace (only a down loopback), or `None` when this
    /// machine does not allow them here (explained; a failure in CI).
    fn create(tag: &str) -> Option<Netns> {
        if !need_peer("ip", "iproute2 (`ip netns`; apt-get install iproute2)") {
            return None;
        }
        // The guard exists before the namespace, so a half-made one goes too.
        let ns = Netns {
            name: format!("ceremony-airgap-{}-{tag}", std::process::id()),
        };
        let out = Command::new("ip")
            .args(["netns", "add", &ns.name])
            .stdin(Stdio::null())
            .output()
            .expect("run ip");
        if out.status.success() {
            return Some(ns);
        }
        let why = String::from_utf8_lossy(&out.stderr).trim().to_string();
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("`ip netns add` is required in CI and failed: {why}");
        }
        eprintln!(
            "SKIPPED: cannot make a network namespace here ({why}); the air-gap namespace tests need root (CAP_SYS_ADMIN) and run in CI"
        );
        None
    }

    /// Runs a shell script inside; it must succeed.
    fn sh(&self, script: &str) {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.name, "sh", "-ec", script])
            .stdin(Stdio::null())
            .output()
            .expect("run ip netns exec");
        assert!(
            out.status.success(),
            "in {}: {script}\n{}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Runs `ceremony ARGS` inside.
    fn ceremony(&self, args: &[&str]) -> Run {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.name, env!("CARGO_BIN_EXE_ceremony")])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run ceremony in the namespace");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into(),
            stderr: String::from_utf8_lossy(&out.stderr).into(),
        }
    }

    /// `ceremony airgap --json` inside: (exit code, verdict).
    fn verdict(&self) -> (i32, Value) {
        let r = self.ceremony(&["airgap", "--json"]);
        let v: Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", r.stdout, r.stderr));
        (r.code, v)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn texts<'a>(v: &'a Value, list: &str, kind: Option<&str>) -> Vec<&'a str> {
    v[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list} in {v}"))
        .iter()
        .filter(|o| kind.is_none_or(|k| o["kind"] == k))
        .map(|o| o["text"].as_str().expect("text"))
        .collect()
}

/// Radios are not per namespace: a host's unblocked Bluetooth shows in
/// every namespace. The namespace tests judge interfaces and routes, and
/// expect exit 1 only when such host radios were found.
fn expected_code(v: &Value) -> i32 {
    let radios = texts(v, "findings", Some("radio"));
    if !radios.is_empty() {
        eprintln!("note: this host has radios that are not blocked: {radios:?}");
    }
    i32::from(!radios.is_empty())
}

#[test]
fn a_namespace_with_only_loopback_passes() {
    let Some(ns) = Netns::create("lo") else {
        return;
    };
    ns.sh("ip link set lo up");
    let (code, v) = ns.verdict();
    assert!(texts(&v, "findings", Some("interface")).is_empty(), "{v}");
    assert!(texts(&v, "findings", Some("route")).is_empty(), "{v}");
    assert!(texts(&v, "passed", None).contains(&"interface lo is loopback"));
    assert_eq!(code, expected_code(&v), "{v}");
    assert_eq!(v["ok"], code == 0);
    assert_eq!(v["allowed_anyway"], false);
    // The same check under its other name, for people.
    let r = ns.ceremony(&["airgap", "check"]);
    assert_eq!(r.code, code, "{}", r.stderr);
    assert!(
        r.stdout.contains("  ok       interface lo is loopback"),
        "{}",
        r.stdout
    );
    if code == 0 {
        assert!(r.stdout.ends_with("verdict: air-gapped\n"), "{}", r.stdout);
    }
}

#[test]
fn a_live_veth_and_a_default_route_are_refused_by_name() {
    let Some(ns) = Netns::create("veth") else {
        return;
    };
    ns.sh("ip link set lo up
         ip link add cgv0 type veth peer name cgv1
         ip link set cgv1 up
         ip link set cgv0 up
         ip addr add 10.213.0.2/24 dev cgv0
         ip route add default via 10.213.0.1 dev cgv0
         ip -6 route add default via fe80::1 dev cgv0");
    let r = ns.ceremony(&["airgap"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    // Whether the kernel has yet marked the link up is its own timing;
    // administratively up refuses either way.
    for name in ["cgv0", "cgv1"] {
        let want = format!("  REFUSED  interface {name} (virtual) is up (");
        assert!(r.stdout.contains(&want), "{want}\n{}", r.stdout);
    }
    assert!(
        r.stdout
            .contains("  REFUSED  default route via 10.213.0.1 on cgv0\n")
    );
    assert!(
        r.stdout
            .contains("  REFUSED  IPv6 default route via fe80::1 on cgv0\n")
    );
    assert!(r.stdout.contains("verdict: NOT air-gapped"));
    // The error says what was found and what to do.
    assert!(
        r.stderr
            .contains("ceremony: error: this machine is not air-gapped: interface cgv0"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("default route via 10.213.0.1 on cgv0"));
    assert!(r.stderr.contains("\nhint: "));
    let (code, v) = ns.verdict();
    assert_eq!(code, 1);
    assert_eq!(v["ok"], false);
    let routes = texts(&v, "findings", Some("route"));
    assert_eq!(
        routes,
        [
            "default route via 10.213.0.1 on cgv0",
            "IPv6 default route via fe80::1 on cgv0"
        ]
    );
    let names: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == "interface")
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cgv0", "cgv1"]);
}

#[test]
fn down_interfaces_pass_and_an_empty_bridge_that_is_up_refuses() {
    let Some(ns) = Netns::create("bridge") else {
        return;
    };
    ns.sh("ip link set lo up
         ip link add cgv0 type veth peer name cgv1
         ip link add cgbr0 type bridge");
    let (code, v) = ns.verdict();
    let passed = texts(&v, "passed", Some("interface"));
    for want in [
        "interface cgbr0 (virtual bridge) is down",
        "interface cgv0 (virtual) is down",
        "interface cgv1 (virtual) is down",
    ] {
        assert!(passed.contains(&want), "{want} not in {passed:?}");
    }
    assert!(texts(&v, "findings", Some("interface")).is_empty(), "{v}");
    assert_eq!(code, expected_code(&v), "{v}");
    // A bridge with no port is up as soon as it is set up: nothing is on
    // it yet, but anything plugged into it later would be.
    ns.sh("ip link set cgbr0 up");
    let (code, v) = ns.verdict();
    assert_eq!(code, 1);
    let found = texts(&v, "findings", Some("interface"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("interface cgbr0 (virtual bridge) is up (administratively up"),
        "{found:?}"
    );
}

#[test]
fn loopback_is_known_by_its_flag_not_by_the_name_lo() {
    let Some(ns) = Netns::create("rename") else {
        return;
    };
    ns.sh("ip link set lo name cglo0
         ip link set cglo0 up
         ip link add cgv0 type veth peer name cgv1
         ip link set cgv0 name lo
         ip link set lo up");
    let (code, v) = ns.verdict();
    assert_eq!(code, 1, "{v}");
    let found = texts(&v, "findings", Some("interface"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("interface lo (virtual) is up ("),
        "{found:?}"
    );
    let passed = texts(&v, "passed", Some("interface"));
    assert!(
        passed.contains(&"interface cglo0 is loopback"),
        "{passed:?}"
    );
    assert!(
        passed.contains(&"interface cgv1 (virtual) is down"),
        "{passed:?}"
    );
}

#[test]
fn sysfs_of_another_namespace_cannot_pass_for_this_one() {
    // nsenter --net switches the network namespace but keeps the host's
    // sysfs: the two tables disagree and the check stops (exit 2).
    let Some(ns) = Netns::create("nsenter") else {
        return;
    };
    if !need_peer("nsenter", "nsenter (util-linux)") {
        return;
    }
    ns.sh("ip link add cgv0 type veth peer name cgv1");
    let out = Command::new("nsenter")
        .arg(format!("--net=/run/netns/{}", ns.name))
        .args([env!("CARGO_BIN_EXE_ceremony"), "airgap", "--json"])
        .stdin(Stdio::null())
        .output()
        .expect("run nsenter");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty(), "no verdict is printed");
    assert!(
        stderr.contains("/sys/class/net and /proc/net/dev list different interfaces"),
        "{stderr}"
    );
    assert!(stderr.contains("only in /proc: cgv0, cgv1"), "{stderr}");
    assert!(stderr.contains("hint: "), "{stderr}");
}

#[test]
fn the_help_states_the_rules() {
    let r = common::ok(&["airgap", "--help"]);
    for rule in [
        "IFF_UP",
        "IFF_LOOPBACK",
        "docker0",
        "default route",
        "rfkill",
        "--allow-network",
        "\"allowed_anyway\"",
    ] {
        assert!(
            r.stdout.contains(rule),
            "{rule} missing from:\n{}",
            r.stdout
        );
    }
}

#[test]
fn on_this_machine_the_verdict_is_json_with_an_exit_to_match() {
    // Whatever this machine is, the verdict parses, its exit status
    // matches it, and both names of the command agree.
    let a = common::run(&["airgap", "--json"]);
    let b = common::run(&["airgap", "check", "--json"]);
    assert_eq!(a.stdout, b.stdout);
    let v: Value = serde_json::from_str(&a.stdout).expect("JSON");
    assert_eq!(a.code, if v["ok"] == true { 0 } else { 1 }, "{}", a.stderr);
    assert_eq!(v["ok"], texts(&v, "findings", None).is_empty());
    assert_eq!(v["sources"][0], "/sys/class/net");
}
