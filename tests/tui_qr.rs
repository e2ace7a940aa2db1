//! The terminal UI's QR carousel read back off the screen: every frame,
//! drawn into ratatui's TestBackend at 80×24 and at 120×40, is turned from
//! its half-block cells back into a bitmap, decoded with rqrr, and the
//! frames reassemble to the payload byte for byte. And `ceremony export
//! --qr terminal` in a real 80×24 pseudo-terminal draws frames that fit it
//! and read back to the exported files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

use ceremony::transfer::frames::{self, Frame};
use ceremony::tui::qr::{CODE_STYLE, QrCarousel};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

/// Pixels a module is drawn with in the bitmap.
const PX: u32 = 4;

/// A bundle as an export packs it: a root and its manifest, a few KB.
fn payload() -> Vec<u8> {
    let root: Vec<u8> = (0..2600u32)
        .map(|i| b"{\"signed\":{\"_type\":\"Root\"}}"[(i % 27) as usize])
        .collect();
    let files = vec![
        ("root.json".to_string(), root.clone()),
        ("1.root.json".to_string(), root),
        ("UPLOAD".to_string(), b"root.json\n".to_vec()),
    ];
    frames::pack(&files).unwrap()
}

/// The screen as a bitmap: each cell one module wide and two high (upper
/// and lower half), dark where the half block is drawn, with a light
/// margin around the whole screen.
fn bitmap(buf: &Buffer) -> image::GrayImage {
    let (w, h) = (u32::from(buf.area.width), u32::from(buf.area.height) * 2);
    let margin = 4 * PX;
    let mut img =
        image::GrayImage::from_pixel(w * PX + 2 * margin, h * PX + 2 * margin, image::Luma([255]));
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let cell = &buf[(x, y)];
            let (top, bottom) = match cell.symbol() {
                "█" => (true, true),
                "▀" => (true, false),
                "▄" => (false, true),
                _ => (false, false),
            };
            if top || bottom {
                // Dark only as the code's own colours make it.
                assert_eq!(cell.style().fg, CODE_STYLE.fg, "({x},{y})");
                assert_eq!(cell.style().bg, CODE_STYLE.bg, "({x},{y})");
            }
            for (half, dark) in [(0, top), (1, bottom)] {
                if !dark {
                    continue;
                }
                for dy in 0..PX {
                    for dx in 0..PX {
                        img.put_pixel(
                            margin + u32::from(x) * PX + dx,
                            margin + (u32::from(y) * 2 + half) * PX + dy,
                            image::Luma([0]),
                        );
                    }
                }
            }
        }
    }
    img
}

fn decode(img: image::GrayImage) -> String {
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on the screen");
    grids[0].decode().expect("the code on the screen decodes").1
}

fn screen_text(buf: &Buffer, row: u16) -> String {
    (0..buf.area.width)
        .map(|x| buf[(x, row)].symbol())
        .collect()
}

fn read_back_at(cols: u16, rows: u16) -> usize {
    let payload = payload();
    let mut carousel = QrCarousel::new(&payload, (cols, rows))
        .unwrap()
        .with_title("REHEARSAL");
    let n = carousel.len();
    let mut terminal = Terminal::new(TestBackend::new(cols, rows)).unwrap();
    let mut read = Vec::new();
    for k in 0..n {
        terminal
            .draw(|f| f.render_widget(&carousel, f.area()))
            .unwrap();
        let buf = terminal.backend().buffer().clone();
        let header = screen_text(&buf, 0);
        assert!(
            header.contains(&format!("frame {}/{n}", k + 1)) && header.starts_with("REHEARSAL"),
            "{header}"
        );
        let text = decode(bitmap(&buf));
        // What the screen shows is the frame, exactly.
        assert_eq!(
            text,
            carousel.frames()[k],
            "frame {} at {cols}×{rows}",
            k + 1
        );
        read.push(Frame {
            source: format!("screen {}", k + 1),
            text: Ok(text),
        });
        carousel.tick();
    }
    assert_eq!(carousel.position(), 0, "the clock went round once");
    // In any order, one frame missing.
    read.reverse();
    read.remove(n / 2);
    assert_eq!(frames::reassemble(&read).unwrap(), payload);
    n
}

#[test]
fn every_frame_read_off_an_80x24_screen_rebuilds_the_payload() {
    read_back_at(80, 24);
}

#[test]
fn every_frame_read_off_a_120x40_screen_rebuilds_the_payload() {
    read_back_at(120, 40);
}

#[test]
fn a_resize_cuts_frames_for_the_new_size_and_a_small_window_is_told() {
    let payload = payload();
    let mut carousel = QrCarousel::new(&payload, (120, 40)).unwrap();
    let big = carousel.len();
    carousel.next();
    carousel.resize((80, 24)).unwrap();
    assert!(carousel.len() > big, "smaller codes carry less each");
    assert_eq!(carousel.position(), 0);
    // Drawn into a window smaller than it was cut for: a message, no code.
    let mut terminal = Terminal::new(TestBackend::new(40, 12)).unwrap();
    terminal
        .draw(|f| f.render_widget(&carousel, f.area()))
        .unwrap();
    let buf = terminal.backend().buffer();
    assert!(
        screen_text(buf, 1).contains("window too small"),
        "{:?}",
        screen_text(buf, 1)
    );
    assert!((0..12).all(|y| !screen_text(buf, y).contains('█')));
    // A resize to a window too small for any frame is refused; the old
    // frames stay.
    assert!(carousel.resize((20, 8)).is_err());
    assert!(!carousel.frames().is_empty());
}

/// Half-block text (dark on light, as `qr::text` draws it) to a bitmap.
fn text_bitmap(lines: &[&str]) -> image::GrayImage {
    let w = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) as u32;
    let h = lines.len() as u32 * 2;
    let margin = 4 * PX;
    let mut img =
        image::GrayImage::from_pixel(w * PX + 2 * margin, h * PX + 2 * margin, image::Luma([255]));
    for (y, line) in lines.iter().enumerate() {
        for (x, c) in line.chars().enumerate() {
            let (top, bottom) = match c {
                '█' => (true, true),
                '▀' => (true, false),
                '▄' => (false, true),
                _ => (false, false),
            };
            for (half, dark) in [(0u32, top), (1, bottom)] {
                if dark {
                    for dy in 0..PX {
                        for dx in 0..PX {
                            img.put_pixel(
                                margin + x as u32 * PX + dx,
                                margin + (y as u32 * 2 + half) * PX + dy,
                                image::Luma([0]),
                            );
                        }
                    }
                }
            }
        }
    }
    img
}

#[test]
fn export_qr_terminal_fits_an_80x24_terminal_and_reads_back() {
    if !need_peer("script", "Debian package util-linux (script)") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    let d = s(&dir);
    tuf_root(&dir);
    for role in ["targets", "snapshot", "timestamp"] {
        ok(&["-C", d, role, "sign"]);
    }
    let out = tmp.path().join("out");
    let cmd = format!(
        "stty cols 80 rows 24; exec '{}' -C '{d}' export '{}' --qr terminal --yes",
        env!("CARGO_BIN_EXE_ceremony"),
        s(&out)
    );
    let r = std::process::Command::new("script")
        .args(["-q", "-e", "-c", &cmd, "/dev/null"])
        .env("CEREMONY_PASSPHRASE", PASS)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&r.stdout).replace('\r', "");
    assert!(r.status.success(), "{screen}");
    let lines: Vec<&str> = screen.lines().collect();
    let starts: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].starts_with("frame "))
        .collect();
    assert!(starts.len() > 2, "{screen}");
    let mut read = Vec::new();
    for (k, &at) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(lines.len());
        let code: Vec<&str> = lines[at + 1..end]
            .iter()
            .copied()
            .take_while(|l| l.chars().all(|c| " █▀▄".contains(c)))
            .collect();
        // Counter and code fit the screen, with a row for the prompt.
        assert!(code.len() + 2 <= 24, "frame {}: {} rows", k + 1, code.len());
        assert!(
            code.iter().all(|l| l.chars().count() <= 80),
            "frame {}",
            k + 1
        );
        read.push(Frame {
            source: format!("frame {}", k + 1),
            text: Ok(decode(text_bitmap(&code))),
        });
    }
    read.remove(1);
    let files = frames::unpack(&frames::reassemble(&read).unwrap()).unwrap();
    for (name, bytes) in &files {
        assert_eq!(&std::fs::read(out.join(name)).unwrap(), bytes, "{name}");
    }
    assert!(files.iter().any(|(n, _)| n == "root.json"));
}

/// The export screen of `ceremony run`: `r` shows the folder's files as
/// QR frames over the whole terminal, → steps to the next one, and what is
/// on the screen is a frame of the bundle read back from the folder.
#[test]
fn the_export_screen_shows_the_written_files_as_frames() {
    use ceremony::ceremony::step::Outcome;
    use ceremony::tui::view::Chrome;
    use crossterm::event::{Event, KeyCode, KeyEvent};

    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let mut files = vec![
        ("root.json".to_string(), vec![b'{'; 900]),
        ("REHEARSAL".to_string(), b"REHEARSAL: a test\n".to_vec()),
    ];
    let sums = ceremony::transfer::manifest(&files);
    files.push(("SHA256SUMS".to_string(), sums.into_bytes()));
    for (n, b) in &files {
        std::fs::write(out.join(n), b).unwrap();
    }
    let bundle = ceremony::ceremony::import::read_bundle(&out).unwrap();
    let payload = frames::pack(&bundle).unwrap();
    let expected = QrCarousel::new(&payload, (80, 24)).unwrap();
    assert!(expected.len() >= 2, "the test needs two frames at least");

    let mut keys = vec![
        Event::Key(KeyEvent::from(KeyCode::Char('r'))),
        Event::Key(KeyEvent::from(KeyCode::Right)),
    ]
    .into_iter();
    let mut ui = ceremony::tui::TuiUi::new(
        Terminal::new(TestBackend::new(80, 24)).unwrap(),
        Box::new(move || {
            keys.next()
                .ok_or_else(|| std::io::Error::other("the test ran out of keys"))
        }),
        Chrome::new("initial-root", "notary example", true),
    );
    let outcome = Outcome::Exported {
        out: out.display().to_string(),
        files: vec![],
    };
    // The keys run out while the second frame is up.
    assert!(ui.exported(&outcome).is_err());
    let buf = ui.terminal().backend().buffer().clone();
    let header = screen_text(&buf, 0);
    assert!(
        header.starts_with("REHEARSAL") && header.contains(&format!("frame 2/{}", expected.len())),
        "{header}"
    );
    assert_eq!(decode(bitmap(&buf)), expected.frames()[1]);
}
