//! `ceremony run` in a real terminal (tmux): a whole Notary ceremony
//! completed by keystrokes alone, each screen checked as it comes; a pause
//! and a resume; Ctrl-C; and the refusal to start with no terminal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{data, need_peer, run, s};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ceremony");

/// A tmux session on a private server, killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `cmd` in a `w`×`h` terminal; the shell then prints its exit
    /// status and waits, so the last screen can still be read.
    fn start(tag: &str, cmd: &str, w: u16, h: u16) -> Tmux {
        let socket = format!("ceremony-test-{tag}-{}", std::process::id());
        let t = Tmux { socket };
        let script = format!("{cmd}; echo EXIT=$?; sleep 600");
        let st = t
            .tmux()
            .args(["-f", "/dev/null", "new-session", "-d", "-s", "c"])
            .args(["-x", &w.to_string(), "-y", &h.to_string()])
            .args(["sh", "-c", &script])
            .status()
            .expect("tmux");
        assert!(st.success(), "tmux did not start");
        t
    }

    fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]).env("TERM", "xterm-256color");
        c
    }

    fn screen(&self) -> String {
        let o = self
            .tmux()
            .args(["capture-pane", "-p", "-t", "c"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Waits for `needle` on the screen; every screen of a rehearsal with
    /// --allow-network says so, which `marks` checks on each capture.
    fn wait(&self, needle: &str, marks: bool) -> String {
        let start = Instant::now();
        loop {
            let sc = self.screen();
            // A capture may catch a screen half drawn: the marks are
            // waited for with the needle, and their absence fails below.
            let marked = !marks || (sc.contains("REHEARSAL") && sc.contains("NETWORK ALLOWED"));
            if sc.contains(needle) && marked {
                return sc;
            }
            assert!(
                !sc.contains("EXIT="),
                "the run ended before {needle:?}:\n{sc}"
            );
            if start.elapsed() > Duration::from_secs(30) {
                panic!(
                    "{needle:?} did not appear, with the REHEARSAL and NETWORK ALLOWED marks:\n{sc}"
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn keys(&self, keys: &[&str]) {
        let st = self
            .tmux()
            .args(["send-keys", "-t", "c"])
            .args(keys)
            .status()
            .unwrap();
        assert!(st.success());
    }

    /// Types `text` literally, then Enter.
    fn line(&self, text: &str) {
        if !text.is_empty() {
            let st = self
                .tmux()
                .args(["send-keys", "-t", "c", "-l", text])
                .status()
                .unwrap();
            assert!(st.success());
        }
        self.keys(&["Enter"]);
    }

    fn alternate_screen(&self) -> bool {
        let o = self
            .tmux()
            .args(["display-message", "-p", "-t", "c", "#{alternate_on}"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).trim() == "1"
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux().args(["kill-server"]).status();
    }
}

/// The words on the screen's row just before the "then:" row (the first
/// four of the words to read back), taken from the body column.
fn first_words(screen: &str) -> String {
    let rows: Vec<&str> = screen.lines().collect();
    let i = rows
        .iter()
        .position(|r| r.contains("then:"))
        .unwrap_or_else(|| panic!("no words on the screen:\n{screen}"));
    let body = rows[i - 1].split('│').nth(2).unwrap_or("");
    body.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Waits for `needle` and for the words to read back under it, and
/// returns the first four.
fn words_on(t: &Tmux, needle: &str) -> String {
    let start = Instant::now();
    loop {
        let sc = t.wait(needle, true);
        if sc.contains("then:") && sc.contains("Words ") {
            let w = first_words(&sc);
            assert_eq!(w.split(' ').count(), 4, "{sc}");
            return w;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no words:\n{sc}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A custodian's check words, from her sheet.
fn sheet_words(dir: &Path, name: &str) -> String {
    let shares = dir.join("shares");
    for set in std::fs::read_dir(&shares).unwrap() {
        let p = set.unwrap().path().join(format!("{name}.sheet.txt"));
        if let Ok(t) = std::fs::read_to_string(&p) {
            let line = t.lines().find(|l| l.starts_with("Readback:")).unwrap();
            return line.trim_start_matches("Readback:").trim().to_string();
        }
    }
    panic!("no sheet for {name}");
}

fn age_recipient(dir: &Path, name: &str) -> String {
    let key = dir.join(format!("{name}.age.key"));
    let o = Command::new("age-keygen")
        .arg("-o")
        .arg(&key)
        .output()
        .unwrap();
    assert!(o.status.success());
    let text = std::fs::read_to_string(&key).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap()
        .to_string()
}

fn need_tmux() -> bool {
    need_peer("tmux", "tmux (Debian package tmux)")
}

/// A new passphrase, typed twice, on the screen that asks for it.
fn new_passphrase(t: &Tmux, label: &str) {
    t.wait(&format!("A passphrase for the new key {label}"), true);
    t.line("pty-pass-1");
    t.line("pty-pass-1");
}

fn unlock(t: &Tmux, label: &str) {
    t.wait(&format!("Unlock key {label}"), true);
    t.line("pty-pass-1");
}

/// Enter on the step screen of step `k`.
fn step(t: &Tmux, k: usize, n: usize) {
    t.wait(&format!("step {k}/{n}"), true);
    t.wait("press Enter", true);
    t.keys(&["Enter"]);
}

#[test]
fn initial_root_is_completed_by_keystrokes_in_a_real_terminal() {
    if !need_tmux() || !need_peer("age-keygen", "Debian package age") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    let out = tmp.path().join("export");
    let custodians = ["ann", "ben", "cat", "dan", "eve"];
    let recipients: Vec<String> = custodians
        .iter()
        .map(|n| age_recipient(tmp.path(), n))
        .collect();
    let cmd = format!(
        "{BIN} -C {} run ceremony-scripts/initial-root.toml --rehearsal --allow-network \
         --input gun=registry.example.com/org/app --input server_keys={}",
        s(&dir),
        s(&data("server-keys"))
    );
    let started = Instant::now();
    let t = Tmux::start("initial", &cmd, 100, 30);
    let n = 16;

    // The one input not given on the command line is asked in a form.
    t.wait("The ceremony's input out", true);
    t.line(s(&out));

    step(&t, 1, n); // air-gap check, overridden and said so
    step(&t, 2, n);
    for (role, names) in [
        ("administrator", "ada"),
        ("operator", "otto"),
        ("witness", "wendy"),
        ("custodians", "ann, ben, cat, dan, eve"),
    ] {
        t.wait(&format!("Roll call: {role}"), true);
        t.line(names);
    }
    step(&t, 3, n); // import the server's keys

    // The server's timestamp key: one wrong read-back, refused, then right.
    step(&t, 4, n);
    let words = words_on(&t, "Read back the fingerprint of key server-timestamp");
    t.line("these are wrong");
    let sc = t.wait("REFUSED", true);
    assert!(sc.contains("not the words on the screen"), "{sc}");
    assert!(sc.contains("attempt 2 of 3"), "{sc}");
    assert!(
        sc.contains("read-back refused"),
        "the refusal is not in the transcript shown:\n{sc}"
    );
    t.line(&words);

    step(&t, 5, n);
    new_passphrase(&t, "root-1");
    step(&t, 6, n);
    t.line(&words_on(&t, "Read back the fingerprint of key root-1"));
    for (k, label) in [(7, "root-2"), (8, "root-3"), (9, "targets-1")] {
        step(&t, k, n);
        new_passphrase(&t, label);
    }

    // The split: each custodian's recipient, the key file's destruction
    // confirmed by typing its label, then one custodian per screen.
    step(&t, 10, n);
    for (name, r) in custodians.iter().zip(&recipients) {
        t.wait(&format!("How {name}'s share is sealed"), true);
        t.keys(&["Right"]);
        t.line(r);
    }
    t.wait("Type the key's label, root-1", true);
    t.line("root-1");
    unlock(&t, "root-1");
    for name in custodians {
        let sc = t.wait(&format!("Next: {name}, step up."), true);
        for other in custodians {
            assert!(
                !sc.contains(&format!("{other}.share.age")),
                "a share is on screen between custodians:\n{sc}"
            );
        }
        t.keys(&["Enter"]);
        t.wait(&format!("for {}", name.to_uppercase()), true);
        t.line(&sheet_words(&dir, name));
    }

    step(&t, 11, n); // stage root v1

    // Signing: the plan with its tally, a wrong read-back, then right.
    step(&t, 12, n);
    // (The step's own title is "Sign root version 1": wait for the plan.)
    let words = words_on(&t, "new root v1 needs 2");
    let sc = t.screen();
    assert!(sc.contains("first four digest words"), "{sc}");
    assert!(sc.contains("· root-2"), "{sc}");
    t.line("ladder orbit crisp velvet");
    let sc = t.wait("REFUSED", true);
    assert!(sc.contains("attempt 2 of 3"), "{sc}");
    t.line(&words);
    unlock(&t, "root-2");
    unlock(&t, "root-3");

    step(&t, 13, n);
    unlock(&t, "targets-1");
    step(&t, 14, n);
    let sc = t.wait("The export is written", true);
    assert!(sc.contains("REHEARSAL"), "{sc}");
    // r: the same files as full-screen QR frames, marked REHEARSAL; Enter
    // goes back to the list of files.
    t.keys(&["r"]);
    let sc = t.wait("frame 1/", false);
    assert!(sc.contains("REHEARSAL"), "{sc}");
    assert!(sc.contains('▀') || sc.contains('▄'), "no code drawn:\n{sc}");
    t.keys(&["Enter"]);
    t.wait("The export is written", true);
    t.keys(&["Enter"]);
    step(&t, 15, n);
    // Close signs the transcript with the root keys held here.
    step(&t, 16, n);
    unlock(&t, "root-2");
    unlock(&t, "root-3");
    t.wait("The ceremony is complete.", true);
    t.keys(&["Enter"]);
    let sc = t.wait("EXIT=", false);
    assert!(sc.contains("EXIT=0"), "{sc}");
    assert!(!t.alternate_screen(), "the terminal was not restored");

    // The result: a rehearsal export that verifies.
    assert!(out.join("REHEARSAL").is_file());
    let v = run(&["verify", s(&out), "--gun", "registry.example.com/org/app"]);
    assert_eq!(v.code, 0, "{}\n{}", v.stdout, v.stderr);
    let state = std::fs::read_to_string(dir.join("run.json")).unwrap();
    assert!(state.contains("\"witness\": \"wendy\""), "{state}");
    // The transcript the keystrokes made verifies, closed by both root keys
    // held here, and it kept the refused read-backs.
    let tv = run(&["-C", s(&dir), "transcript", "verify"]);
    assert_eq!(tv.code, 0, "{}\n{}", tv.stdout, tv.stderr);
    let transcript = std::fs::read_to_string(dir.join("transcript.jsonl")).unwrap();
    assert!(transcript.contains("read-back-refused"), "{transcript}");
    eprintln!("the ceremony took {:?}", started.elapsed());
}

#[test]
fn q_pauses_and_the_run_resumes_at_the_same_step_and_ctrl_c_restores_the_terminal() {
    if !need_tmux() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    let cmd = format!(
        "{BIN} -C {} run ceremony-scripts/tuf-initial-root.toml --rehearsal --allow-network --input out={}",
        s(&dir),
        s(&tmp.path().join("out"))
    );
    let t = Tmux::start("pause", &cmd, 80, 24);
    step(&t, 1, 18);
    t.wait("step 2/18", true);
    t.keys(&["q"]);
    let sc = t.wait("EXIT=", false);
    assert!(sc.contains("EXIT=0"), "{sc}");
    assert!(sc.contains("paused at step 2 of 18"), "{sc}");
    assert!(
        !t.alternate_screen(),
        "the terminal was not restored after q"
    );
    drop(t);

    // Resumed from the directory: step 1 done, step 2 current.
    let t = Tmux::start("resume", &cmd, 80, 24);
    let sc = t.wait("step 2/18", true);
    assert!(sc.contains("✓  1 Air-gap check"), "{sc}");
    assert!(sc.contains("▶  2 Roll call"), "{sc}");
    // A resize redraws the frame at the new size.
    let st = t
        .tmux()
        .args(["resize-window", "-t", "c", "-x", "120", "-y", "40"])
        .status()
        .unwrap();
    assert!(st.success());
    let start = Instant::now();
    loop {
        let sc = t.screen();
        let last = sc.lines().rfind(|l| l.starts_with('└')).unwrap_or("");
        if last.chars().count() == 120 && sc.lines().filter(|l| l.starts_with('│')).count() == 38
        {
            assert!(sc.contains("▶  2 Roll call"), "{sc}");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "not redrawn at 120x40:\n{sc}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // ? shows the help over the screen; any key closes it.
    t.keys(&["?"]);
    t.wait("this help; any key closes it", true);
    t.keys(&["x"]);
    let start = Instant::now();
    while t.screen().contains("any key closes it") {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the help stayed up"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Esc abandons a form: the step is shown failed, nothing recorded,
    // and Enter tries it again.
    t.keys(&["Enter"]);
    t.wait("Roll call: administrator", true);
    t.keys(&["Escape"]);
    t.wait("The step failed: the step was abandoned", true);
    t.keys(&["Enter"]);
    // Ctrl-C in a form leaves, restores the terminal, records nothing.
    t.wait("Roll call: administrator", true);
    t.keys(&["C-c"]);
    let sc = t.wait("EXIT=", false);
    assert!(sc.contains("EXIT=2"), "{sc}");
    assert!(sc.contains("left with Ctrl-C"), "{sc}");
    assert!(
        !t.alternate_screen(),
        "the terminal was not restored after Ctrl-C"
    );
    let state = std::fs::read_to_string(dir.join("run.json")).unwrap();
    assert!(
        !state.contains("roll-call"),
        "a step left with Ctrl-C was recorded"
    );
}

#[test]
fn with_no_terminal_run_refuses_and_points_to_answers() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    let r = run(&[
        "-C",
        s(&dir),
        "run",
        "ceremony-scripts/tuf-initial-root.toml",
        "--rehearsal",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("needs a terminal"), "{}", r.stderr);
    assert!(r.stderr.contains("--answers"), "{}", r.stderr);
    assert!(!dir.exists(), "a directory was made without a terminal");
}

#[test]
fn a_keyholder_elsewhere_signs_by_request_while_the_run_waits_at_her_screen() {
    if !need_tmux() || !need_peer("age-keygen", "Debian package age") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let gun = "registry.example.com/org/app";
    let dir = t.join("c");
    // The first ceremony, headless: root-1 as shares, root-2 and root-3 here.
    let mut answers = format!(
        "[inputs]\ngun = \"{gun}\"\nserver_keys = \"{}\"\nout = \"{}\"\n[recipients]\n",
        s(&data("server-keys")),
        s(&t.join("out1"))
    );
    for n in ["ann", "ben", "cat", "dan", "eve"] {
        answers.push_str(&format!("{n} = \"{}\"\n", age_recipient(t, n)));
    }
    answers.push_str(
        "[people]\nadministrator = [\"ada\"]\noperator = [\"otto\"]\nwitness = [\"wendy\"]\n\
         custodians = [\"ann\", \"ben\", \"cat\", \"dan\", \"eve\"]\n\
         [passphrases]\nkeys = \"pty-pass-1\"\n[witness]\nname = \"wendy\"\n",
    );
    let a = t.join("initial.toml");
    std::fs::write(&a, answers).unwrap();
    let r = run(&[
        "-C",
        s(&dir),
        "run",
        "ceremony-scripts/initial-root.toml",
        "--answers",
        s(&a),
        "--rehearsal",
        "--allow-network",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    // Kim's machine: her root key; only its public half comes to the room.
    let (kim, kim_id, kim_pub) = common::keyholder_machine(t, gun, "kim");

    let (requests, returned, out) = (t.join("requests"), t.join("returned"), t.join("out2"));
    std::fs::create_dir_all(&returned).unwrap();
    let cmd = format!(
        "{BIN} -C {} run ceremony-scripts/rotate-root-by-request.toml --rehearsal --allow-network \
         --input gun={gun} --input keyholder_key={} --input requests={} --input returned={} \
         --input out={}",
        s(&dir),
        s(&kim_pub),
        s(&requests),
        s(&returned),
        s(&out)
    );
    let tm = Tmux::start("by-request", &cmd, 80, 24);
    let n = 11;
    step(&tm, 1, n);
    step(&tm, 2, n);
    for (role, names) in [
        ("administrator", "ada"),
        ("operator", "otto"),
        ("witness", "wendy"),
        ("keyholders", "kim"),
    ] {
        tm.wait(&format!("Roll call: {role}"), true);
        tm.line(names);
    }
    step(&tm, 3, n); // kim's public key comes in as root-4
    step(&tm, 4, n);
    tm.line(&words_on(&tm, "Read back the fingerprint of key"));
    step(&tm, 5, n); // staged: root-4 in, root-3 out
    step(&tm, 6, n);
    tm.line(&words_on(&tm, "new root v2 needs 2"));
    unlock(&tm, "root-2");
    unlock(&tm, "root-3");

    // The request: who signs elsewhere, its words, and its QR frames.
    step(&tm, 7, n);
    let sc = tm.wait("Signing request for root version 2", true);
    assert!(sc.contains("To sign at their own machines: root-4"), "{sc}");
    tm.keys(&["r"]);
    let sc = tm.wait("frame 1/", false);
    assert!(sc.contains('▀') || sc.contains('▄'), "no code drawn:\n{sc}");
    tm.keys(&["Enter"]);
    tm.wait("Signing request for root version 2", true);
    tm.keys(&["Enter"]);

    // The keyholder screen before her copy is back: the step stops and
    // says why; the run waits at it.
    step(&tm, 8, n);
    let sc = tm.wait("Keyholders: signatures for root version 2", true);
    assert!(
        sc.lines()
            .any(|l| l.contains("root-4") && l.contains("waiting: signs elsewhere")),
        "{sc}"
    );
    assert!(sc.contains("old root v1: 2 of 2 needed (met)"), "{sc}");
    assert!(sc.contains("new root v2: 1 of 2 needed"), "{sc}");
    tm.keys(&["Enter"]);
    tm.wait("no signed requests in", true);
    tm.wait("step 8/11", true);

    // At her machine, Kim checks the request against the root she holds
    // and signs it; the copy is brought back.
    let request = requests.join("root-v2.request.json");
    let signed = run(&[
        "request",
        "sign",
        "--yes",
        s(&request),
        "--trusted-root",
        s(&dir.join("root/1.root.json")),
        "--key-file",
        s(&kim.join(format!("keys/{kim_id}.age"))),
        "--out",
        s(&returned.join("kim.json")),
    ]);
    assert_eq!(signed.code, 0, "{}\n{}", signed.stdout, signed.stderr);
    tm.wait("Nothing was recorded for it.", true);
    tm.keys(&["Enter"]);
    tm.wait("Keyholders: signatures for root version 2", true);
    tm.keys(&["Enter"]);
    let sc = tm.wait("step 9/11", true);
    assert!(sc.contains("signatures of root-4"), "{sc}");

    step(&tm, 9, n);
    tm.wait("The export is written", true);
    tm.keys(&["Enter"]);
    step(&tm, 10, n);
    step(&tm, 11, n);
    unlock(&tm, "root-2");
    tm.wait("The ceremony is complete.", true);
    tm.keys(&["Enter"]);
    let sc = tm.wait("EXIT=", false);
    assert!(sc.contains("EXIT=0"), "{sc}");
    let v = run(&[
        "verify",
        s(&out),
        "--gun",
        gun,
        "--trusted-root",
        s(&dir.join("root/1.root.json")),
    ]);
    assert_eq!(v.code, 0, "{}\n{}", v.stdout, v.stderr);
    let tv = run(&["-C", s(&dir), "transcript", "verify"]);
    assert_eq!(tv.code, 0, "{}\n{}", tv.stdout, tv.stderr);
    let transcript = std::fs::read_to_string(dir.join("transcript.jsonl")).unwrap();
    assert!(transcript.contains("requests-merged"), "no merge recorded");
}
