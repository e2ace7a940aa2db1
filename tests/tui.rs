//! The terminal UI's screens, drawn without a terminal (ratatui's
//! `TestBackend`) at 80×24 and 120×40 and compared with the snapshots in
//! tests/snapshots/ (read them: they are what the room sees); and the
//! screens' behaviour: masking, rehearsal marks, hostile text, the keys.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ceremony::ceremony::run::StepState;
use ceremony::ceremony::step::{Answer, Ask, RunUi};
use ceremony::tui::forms::{self, HandOut};
use ceremony::tui::plan::{SignView, TallyView, root_sign_form};
use ceremony::tui::screen::{Action, Form, Screen};
use ceremony::tui::view::{self, Chrome, Network, StepLine};
use ceremony::tui::{Keys, TuiUi};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

const STEPS: [&str; 14] = [
    "Air-gap check",
    "Roll call",
    "Bring in server keys",
    "Read back server keys",
    "Generate targets key",
    "Generate root key",
    "Read back fingerprint",
    "Split into shares",
    "Hand out shares",
    "Sign root v1",
    "Export",
    "Read export back",
    "Sign transcript",
    "Close",
];

/// A frame at step `current` (0-based) of the sketch's initial-root script.
fn chrome(current: usize, rehearsal: bool) -> Chrome {
    let mut c = Chrome::new(
        "initial-root",
        "notary registry.example.com/org/app",
        rehearsal,
    );
    c.network = if rehearsal {
        Network::Allowed
    } else {
        Network::AirGapOk
    };
    c.steps = STEPS
        .iter()
        .enumerate()
        .map(|(i, t)| StepLine {
            title: t.to_string(),
            state: match i.cmp(&current) {
                std::cmp::Ordering::Less => StepState::Done,
                std::cmp::Ordering::Equal => StepState::Current,
                std::cmp::Ordering::Greater => StepState::Pending,
            },
        })
        .collect();
    c.current = Some(current);
    c.actor = "operator".into();
    c.say = "The operator generates the first root key and types a passphrase for its key file. Nobody writes the passphrase down.".into();
    for l in [
        "10:41:02 step 3 done: took in timestamp-1 (91c2 5e0b), snapshot-1 (77e1 4c2d)",
        "10:41:40 step 4 done: wendy read the words back",
        "10:42:07 step 5 done: targets key targets-1 (5e0b91c2aa10)",
    ] {
        c.push_log(l);
    }
    c
}

fn draw(c: &Chrome, s: &Screen, help: bool, (w, h): (u16, u16)) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| view::draw(f, c, s, help)).unwrap();
    t
}

fn text(t: &Terminal<TestBackend>) -> String {
    t.backend().to_string()
}

/// Snapshots `s` at both sizes, and checks the marks every screen carries.
fn shots(name: &str, c: &Chrome, s: &Screen, help: bool) {
    for size in SIZES {
        let t = draw(c, s, help, size);
        let out = text(&t);
        if c.rehearsal {
            assert!(out.contains("REHEARSAL"), "{name}: no REHEARSAL mark");
            assert!(out.contains("NETWORK ALLOWED"), "{name}: no network badge");
        }
        assert!(out.contains("initial-root"), "{name}: no script title");
        insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), out);
    }
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn code(k: KeyCode) -> KeyEvent {
    KeyEvent::new(k, KeyModifiers::NONE)
}

fn type_in(s: &mut Screen, text: &str) {
    for ch in text.chars() {
        assert_eq!(s.key(key(ch)), Action::None);
    }
}

fn sign_view(version: u64) -> SignView {
    let labels = |ks: &[(bool, &str)]| ks.iter().map(|(b, l)| (*b, l.to_string())).collect();
    if version == 1 {
        return SignView {
            version: 1,
            expires: "2036-11-28".into(),
            changes: vec!["initial root (version 1)".into()],
            signers: vec!["root-1".into(), "root-2".into()],
            not_signing: vec![],
            warnings: vec![],
            old: None,
            new: TallyView {
                version: 1,
                threshold: 2,
                keys: labels(&[(false, "root-1"), (false, "root-2"), (false, "root-3")]),
            },
            words: "ladder orbit crisp velvet harbor mint oyster tunnel amber cliff rose sand"
                .into(),
        };
    }
    SignView {
        version,
        expires: "2036-11-28".into(),
        changes: vec![
            "root keys − carol (b81e0c4a): lost 2026-11-02".into(),
            "root keys + dave (4c2d77e1)".into(),
            "expires 2027-11-28 → 2036-11-28".into(),
        ],
        signers: vec!["alice".into()],
        not_signing: vec!["key bob (9a0f11c2) is not held here: its holder signs elsewhere".into()],
        warnings: vec![],
        old: Some(TallyView {
            version: version - 1,
            threshold: 2,
            keys: labels(&[(true, "alice"), (false, "bob"), (false, "carol")]),
        }),
        new: TallyView {
            version,
            threshold: 2,
            keys: labels(&[(true, "alice"), (false, "bob"), (false, "dave")]),
        },
        words: "amber cliff ladder orbit crisp velvet harbor mint oyster tunnel rose sand".into(),
    }
}

#[test]
fn the_step_screen() {
    shots(
        "step",
        &chrome(5, false),
        &Screen::Step { failed: None },
        false,
    );
    shots(
        "step_failed",
        &chrome(5, false),
        &Screen::Step {
            failed: Some("the key file root-1.key exists already".into()),
        },
        false,
    );
    shots("step_busy", &chrome(5, false), &Screen::Busy, false);
}

#[test]
fn a_rehearsal_is_marked_on_every_screen_with_another_border() {
    let screens = [
        Screen::Step { failed: None },
        Screen::Busy,
        Screen::Form(forms::names("witness", "Watches the screen.")),
        Screen::Next { name: "ben".into() },
        Screen::Done {
            dir: "/tmp/c".into(),
            paused: true,
        },
    ];
    for s in &screens {
        for size in SIZES {
            let real = draw(&chrome(1, false), s, false, size);
            let rehearsal = draw(&chrome(1, true), s, false, size);
            assert!(!text(&real).contains("REHEARSAL"));
            let out = text(&rehearsal);
            assert!(out.contains("REHEARSAL —"), "no banner on {s:?}");
            assert!(out.contains("NETWORK ALLOWED"));
            let corner = |t: &Terminal<TestBackend>| t.backend().buffer()[(0, 0)].fg;
            assert_eq!(corner(&real), Color::Cyan);
            assert_eq!(corner(&rehearsal), Color::Yellow);
            assert_eq!(
                view::border_colour(true),
                Color::Yellow,
                "the rehearsal border is not the real one"
            );
        }
    }
    shots(
        "step_rehearsal",
        &chrome(5, true),
        &Screen::Step { failed: None },
        false,
    );
}

#[test]
fn the_roll_call_and_input_forms() {
    let mut s = Screen::Form(forms::names(
        "custodians",
        "Each receives one share of the first root key and keeps it apart from the others.",
    ));
    type_in(&mut s, "ann, ben, cat");
    shots("roll_call", &chrome(1, false), &s, false);
    shots(
        "input",
        &chrome(0, false),
        &Screen::Form(forms::input(
            "gun",
            "The Notary repository (GUN), e.g. registry.example.com/org/app",
        )),
        false,
    );
}

#[test]
fn a_passphrase_is_never_on_screen_nor_in_debug() {
    let mut s = Screen::Form(forms::new_passphrase("root-1"));
    type_in(&mut s, "hunter2-secret");
    assert_eq!(s.key(code(KeyCode::Tab)), Action::None);
    type_in(&mut s, "hunter2-sec");
    for size in SIZES {
        let out = text(&draw(&chrome(5, false), &s, false, size));
        assert!(!out.contains("hunter2"), "the passphrase is on screen");
        assert!(out.contains(&"•".repeat(14)));
    }
    assert!(
        !format!("{s:?}").contains("hunter2"),
        "the passphrase is in Debug"
    );
    shots("new_passphrase", &chrome(5, false), &s, false);
    shots(
        "unlock",
        &chrome(9, false),
        &Screen::Form(forms::unlock("root-1 (c74728d559ab)")),
        false,
    );
    shots(
        "custodian_passphrase",
        &chrome(7, false),
        &Screen::Form(forms::custodian("ann", true)),
        false,
    );
}

#[test]
fn the_recipient_choice() {
    let mut s = Screen::Form(forms::recipient("ben"));
    assert_eq!(s.key(code(KeyCode::Right)), Action::None);
    type_in(&mut s, "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgp");
    shots("recipient", &chrome(7, false), &s, false);
}

#[test]
fn the_read_back_and_its_refusal() {
    let words = "ladder orbit crisp velvet harbor mint oyster tunnel amber cliff rose sand";
    let f = forms::read_back(
        "the fingerprint of key root-1 (c74728d559ab)",
        words,
        4,
        "wendy",
    );
    shots("read_back", &chrome(6, false), &Screen::Form(f), false);
    let mut f = forms::read_back(
        "the fingerprint of key root-1 (c74728d559ab)",
        words,
        4,
        "wendy",
    );
    f.refused =
        Some("those are not the words on the screen: read them again (attempt 2 of 3)".into());
    let s = Screen::Form(f);
    for size in SIZES {
        let out = text(&draw(&chrome(6, true), &s, false, size));
        assert!(
            out.contains("REFUSED"),
            "the refusal is not in view at {size:?}"
        );
        assert!(out.contains("attempt 2 of 3"));
        assert!(out.contains("ladder  orbit  crisp  velvet"));
        assert!(
            out.contains("Words"),
            "the field is not in view at {size:?}"
        );
    }
    shots("read_back_refused", &chrome(6, true), &s, false);
}

#[test]
fn handing_out_one_custodian_per_screen() {
    shots(
        "hand_out_next",
        &chrome(8, false),
        &Screen::Next { name: "ben".into() },
        false,
    );
    let files: Vec<String> = ["share.age", "sheet.txt", "qr.png"]
        .iter()
        .map(|e| format!("/media/ceremony/shares/7f3a91c2e5b04d18/ben.{e}"))
        .collect();
    let f = forms::hand_out(&HandOut {
        custodian: "ben",
        index: 2,
        total: 5,
        threshold: 3,
        set_id: "7f3a91c2e5b04d18",
        files: &files,
    });
    let s = Screen::Form(f);
    for size in SIZES {
        let out = text(&draw(&chrome(8, false), &s, false, size));
        assert!(out.contains("look away"), "the warning is cut at {size:?}");
        assert!(out.contains("ben.share.age"));
    }
    shots("hand_out", &chrome(8, false), &s, false);
}

#[test]
fn the_root_signing_plan_with_its_tally() {
    let v1 = Screen::Form(root_sign_form(&sign_view(1), "wendy"));
    shots("root_sign_v1", &chrome(9, false), &v1, false);
    let v3 = Screen::Form(root_sign_form(&sign_view(3), "wendy"));
    shots("root_sign_v3", &chrome(9, false), &v3, false);
    for size in SIZES {
        let out = text(&draw(&chrome(9, false), &v3, false, size));
        assert!(out.contains("old root v2 needs 2"));
        assert!(out.contains("new root v3 needs 2"));
        assert!(out.contains("✓ alice"));
        assert!(
            out.contains("amber  cliff  ladder  orbit"),
            "the words are cut at {size:?}"
        );
        assert!(
            out.contains("more rows: PgDn") == (size.1 < 30),
            "the scroll hint at {size:?}"
        );
        if size.1 < 30 {
            // PgDn brings the rest into view, and the hint says what is above.
            let mut s = Screen::Form(root_sign_form(&sign_view(3), "wendy"));
            for _ in 0..3 {
                assert_eq!(s.key(code(KeyCode::PageDown)), Action::None);
            }
            let out = text(&draw(&chrome(9, false), &s, false, size));
            assert!(out.contains("its holder signs elsewhere"), "{out}");
            assert!(out.contains("PgUp for the rows above"));
        }
        assert!(out.contains("Words"), "the field is cut at {size:?}");
    }
}

#[test]
fn the_export_the_end_and_the_help() {
    let files = vec![
        ("root.json".to_string(), "7f18c7b3284a57e4aa".to_string()),
        ("targets.json".to_string(), "6007a347d2f17b9faa".to_string()),
        ("REHEARSAL".to_string(), "8c19ca3999a11d11aa".to_string()),
    ];
    shots(
        "exported",
        &chrome(10, true),
        &Screen::Notice(forms::exported("/media/export", &files)),
        false,
    );
    let mut done = chrome(14, false);
    done.current = None;
    shots(
        "done",
        &done,
        &Screen::Done {
            dir: "/media/ceremony".into(),
            paused: false,
        },
        false,
    );
    shots(
        "paused",
        &chrome(6, false),
        &Screen::Done {
            dir: "/media/ceremony".into(),
            paused: true,
        },
        false,
    );
    shots(
        "help",
        &chrome(5, false),
        &Screen::Step { failed: None },
        true,
    );
}

#[test]
fn hostile_text_cannot_repaint_the_terminal() {
    let mut c = chrome(2, false);
    c = Chrome {
        script: view::safe("evil\x1b[2J\x1b]0;owned\x07"),
        ..c
    };
    c.push_log("key \x1b[31mred\u{202e}reversed");
    let s = Screen::Form(
        Form::new("Roll call: \x1b[H").line(ceremony::tui::screen::Tone::Plain, "duty\r\x1b[1Aup"),
    );
    for size in SIZES {
        let t = draw(&c, &s, false, size);
        for cell in t.backend().buffer().content() {
            assert!(
                !cell
                    .symbol()
                    .chars()
                    .any(|ch| ch.is_control() || ch == '\u{202e}'),
                "a control character reached the screen: {:?}",
                cell.symbol()
            );
        }
    }
}

#[test]
fn keys_on_the_step_screen_and_in_forms() {
    let mut s = Screen::Step { failed: None };
    assert_eq!(s.key(code(KeyCode::Enter)), Action::Submit);
    assert_eq!(s.key(key('q')), Action::Pause);
    assert_eq!(s.key(key('?')), Action::Help);
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(s.key(ctrl_c), Action::Leave);
    let mut f = Screen::Form(forms::names("witness", ""));
    // In a form, q and ? are letters of an answer, not commands.
    type_in(&mut f, "q?");
    assert_eq!(f.key(code(KeyCode::Esc)), Action::Cancel);
    assert_eq!(f.key(ctrl_c), Action::Leave);
    assert_eq!(f.key(code(KeyCode::Enter)), Action::Submit);
    let Screen::Form(f) = f else { panic!() };
    assert_eq!(f.value(0), "q?");
}

/// A TuiUi over a TestBackend, fed `keys`.
fn ui(keys: Vec<Event>) -> TuiUi<TestBackend> {
    let mut it = keys.into_iter();
    let keys: Keys = Box::new(move || {
        it.next()
            .ok_or_else(|| std::io::Error::other("the test ran out of keys"))
    });
    TuiUi::new(
        Terminal::new(TestBackend::new(80, 24)).unwrap(),
        keys,
        chrome(1, true),
    )
    .with_clock(|| "10:00:00".into())
}

fn typed(s: &str) -> Vec<Event> {
    let mut v: Vec<Event> = s.chars().map(|c| Event::Key(key(c))).collect();
    v.push(Event::Key(code(KeyCode::Enter)));
    v
}

#[test]
fn the_ui_answers_the_runner_from_the_keyboard_and_redraws_on_resize() {
    let mut keys = vec![Event::Resize(120, 40)];
    keys.extend(typed("ann,  ben ,,cat"));
    let mut u = ui(keys);
    let a = u
        .ask(Ask::Names {
            role: "custodians",
            duty: "keep shares",
        })
        .unwrap();
    assert_eq!(
        a,
        Answer::List(vec!["ann".into(), "ben".into(), "cat".into()])
    );
    // An empty answer is refused on the screen and asked again.
    let mut keys = typed("");
    keys.extend(typed("registry.example.com/org/app"));
    let mut u = ui(keys);
    let a = u
        .ask(Ask::Input {
            name: "gun",
            prompt: "the GUN",
        })
        .unwrap();
    assert_eq!(a, Answer::Text("registry.example.com/org/app".into()));
}

#[test]
fn ctrl_c_leaves_and_esc_abandons_the_step() {
    let mut u = ui(vec![Event::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    ))]);
    assert!(
        u.ask(Ask::Input {
            name: "out",
            prompt: ""
        })
        .is_err()
    );
    assert!(u.left());
    let mut u = ui(vec![Event::Key(code(KeyCode::Esc))]);
    let e = u
        .ask(Ask::Input {
            name: "out",
            prompt: "",
        })
        .unwrap_err();
    assert!(!u.left());
    assert!(e.reason().contains("abandoned"), "{}", e.reason());
}

#[test]
fn a_new_passphrase_typed_differently_twice_is_refused_then_taken() {
    use ceremony::ceremony::Passphrases;
    use ceremony::secret::ExposeSecret;
    let mut keys = typed("first-pass");
    keys.extend(typed("other-pass"));
    keys.extend(typed("good-pass"));
    keys.extend(typed("good-pass"));
    let mut u = ui(keys);
    let p = u.new_key("root-1").unwrap();
    assert_eq!(p.expose_secret(), "good-pass");
    let shown = text(u.terminal());
    assert!(!shown.contains("good-pass") && !shown.contains("first-pass"));
}

#[test]
fn a_weak_new_passphrase_is_refused_on_its_form_and_asked_again() {
    use ceremony::ceremony::Workspace;
    use ceremony::metadata::Dialect;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    let ws = Workspace::init(&dir, Dialect::Tuf, None).unwrap();
    let strong = "quartz otter lantern mosaic";
    let generate = |u: &mut TuiUi<TestBackend>| {
        ws.generate_key(
            "root",
            None,
            Some("root-1"),
            time::Duration::days(365),
            time::OffsetDateTime::now_utc(),
            u,
        )
    };
    // The engine judges; the form shows why and asks again. The keys run
    // out there, so the screen left is that form.
    let mut keys = typed("hunter2");
    keys.extend(typed("hunter2"));
    let mut u = ui(keys);
    assert!(generate(&mut u).is_err());
    let shown = text(u.terminal());
    assert!(
        shown.contains("A passphrase for the new key root-1"),
        "{shown}"
    );
    assert!(
        shown.contains("REFUSED: the new passphrase for key root-1 is too")
            && shown.contains("zxcvbn score 1 of 4"),
        "{shown}"
    );
    assert!(!shown.contains("hunter2"), "{shown}");
    // A strong one typed then is taken, in the same step.
    let mut keys = typed("hunter2");
    keys.extend(typed("hunter2"));
    keys.extend(typed(strong));
    keys.extend(typed(strong));
    let mut u = ui(keys);
    assert_eq!(generate(&mut u).unwrap().label, "root-1");
    let shown = text(u.terminal());
    assert!(shown.contains("new passphrase refused"), "{shown}");
    assert!(
        !shown.contains("hunter2") && !shown.contains(strong),
        "{shown}"
    );
    // Nothing weak was accepted, so nothing of it is recorded.
    let t = std::fs::read_to_string(dir.join("transcript.jsonl")).unwrap();
    assert!(!t.contains("weak-passphrase"), "{t}");
}

/// Root version 3, signed here by alice; bob signs at his machine, dave's
/// key exists only as shares, carol's was lost.
fn keyholders() -> ceremony::ceremony::keyholders::Keyholders {
    use ceremony::ceremony::custody::Custody;
    use ceremony::ceremony::keyholders::{Keyholder, Keyholders};
    use ceremony::ceremony::root::RootTally;
    use ceremony::signature::Tally;
    let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let k = |label: &str, old, new, custody, signed| Keyholder {
        id: format!("{label}-id"),
        label: label.into(),
        old,
        new,
        custody,
        signed,
    };
    Keyholders {
        tally: RootTally {
            version: 3,
            old: Some((
                2,
                Tally {
                    threshold: 2,
                    valid: ids(&["alice-id"]),
                    missing: ids(&["bob-id", "carol-id"]),
                    problems: vec![],
                    unknown: vec![],
                },
            )),
            new: Tally {
                threshold: 2,
                valid: ids(&["alice-id"]),
                missing: ids(&["bob-id", "dave-id"]),
                problems: vec![],
                unknown: vec![],
            },
        },
        keys: vec![
            k("alice", true, true, Custody::Held, true),
            k("bob", true, true, Custody::Elsewhere, false),
            k("carol", true, false, Custody::Lost, false),
            k("dave", false, true, Custody::SharesOnly, false),
        ],
        digest: "00".repeat(32),
        words: "amber cliff ladder orbit crisp velvet harbor mint oyster tunnel rose sand".into(),
    }
}

#[test]
fn the_keyholder_screen_shows_who_signs_elsewhere_and_reads_their_copies() {
    let k = keyholders();
    assert_eq!(k.away(), vec!["bob".to_string()]);
    let s = Screen::Form(forms::keyholders(&k, "/media/returned"));
    shots("keyholders", &chrome(8, false), &s, false);
    for size in SIZES {
        let out = text(&draw(&chrome(8, false), &s, false, size));
        assert!(out.contains("old root v2: 1 of 2 needed"), "{out}");
        assert!(out.contains("new root v3: 1 of 2 needed"), "{out}");
        for (who, state) in [
            ("alice", "✓ signed"),
            ("bob", "waiting: signs elsewhere"),
            ("carol", "lost"),
            ("dave", "as shares here"),
        ] {
            assert!(
                out.lines().any(|l| l.contains(who) && l.contains(state)),
                "{who} is not shown as {state:?} at {size:?}:\n{out}"
            );
        }
        assert!(
            out.contains("amber  cliff  ladder  orbit"),
            "the words are cut at {size:?}:\n{out}"
        );
        assert!(out.contains("/media/returned"), "{out}");
    }
    // The folder is filled in: Enter alone reads it; another path can be
    // typed after it.
    let mut s = Screen::Form(forms::keyholders(&k, "/media/returned"));
    assert_eq!(s.key(code(KeyCode::Enter)), Action::Submit);
    let Screen::Form(f) = &s else { panic!() };
    assert_eq!(f.value(0), "/media/returned");
    // Through the UI: the answer is the list of paths typed.
    let mut ui = ui(typed(", /media/other.json"));
    let a = ui
        .ask(Ask::SignedRequests {
            keyholders: &k,
            from: "/media/returned",
        })
        .unwrap();
    assert_eq!(
        a,
        Answer::List(vec!["/media/returned".into(), "/media/other.json".into()])
    );
}

#[test]
fn the_request_written_screen_names_who_signs_elsewhere() {
    let words = "amber cliff ladder orbit crisp velvet harbor mint oyster tunnel rose sand";
    let f = forms::request_written(
        3,
        "/media/requests/root-v3.request.json",
        words,
        &["bob".into()],
    );
    let s = Screen::Notice(f);
    shots("request_written", &chrome(8, false), &s, false);
    for size in SIZES {
        let out = text(&draw(&chrome(8, false), &s, false, size));
        assert!(out.contains("To sign at their own machines: bob"), "{out}");
        assert!(out.contains("amber cliff ladder orbit"), "{out}");
        assert!(out.contains("QR frames"), "{out}");
    }
}
