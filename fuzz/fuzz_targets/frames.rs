//! QR frame decoding: each input line is the text of one scanned frame;
//! the frames are reassembled and the payload unpacked into files, as
//! `import` does after reading the images.
#![no_main]

use ceremony::transfer::frames::{self, Frame};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut read = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let _ = frames::frame_number(line);
        let _ = frames::part_header(line);
        // A line starting with `!` is a frame the scanner could not read.
        let text = match line.strip_prefix('!') {
            Some(why) => Err(why.to_string()),
            None => Ok(line.to_string()),
        };
        read.push(Frame {
            source: format!("frame-{i:03}.png"),
            text,
        });
    }
    if let Ok(payload) = frames::reassemble(&read) {
        let _ = frames::unpack(&payload);
    }
    // The payload format on its own, from the raw input.
    let _ = frames::unpack(data);
});
