//! The terminal UI's QR carousel read back off the screen: every frame,
//! drawn into ratatui's TestBackend at 80×24 and at 120×40, is turned from
//! its half-block cells back into a bitmap, decoded with rqrr, and the
//! frames reassemble to the payload byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used)]

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
