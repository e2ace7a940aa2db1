//! Bundle import: the input is a packed directory (see
//! `common::split_files`), written to a fresh temporary folder and read
//! with `read_bundle` as `import` reads a carried-in folder: SHA256SUMS and
//! the files it lists, or QR frame images.
#![no_main]

mod common;

use ceremony::ceremony::import::read_bundle;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    for (name, bytes) in common::split_files(data).into_iter().take(64) {
        let path = dir.path().join(common::safe_name(&name));
        if let Some(parent) = path.parent()
            && std::fs::create_dir_all(parent).is_err()
        {
            continue;
        }
        // A name used twice, or as a file and a folder, keeps the first.
        if path.exists() {
            continue;
        }
        let _ = std::fs::write(&path, bytes);
    }
    if let Ok(files) = read_bundle(dir.path()) {
        let _ = ceremony::transfer::manifest(&files);
    }
});
