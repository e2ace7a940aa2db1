//! What the targets share: one fuzz input read as several named files.
#![allow(dead_code)]

/// Splits an input into named files: records separated by a NUL byte,
/// each `name` LF `content`. Seeds made by `seed.sh` pack whole
/// directories this way, so the fuzzer mutates a repository or a bundle
/// as a whole. A record without a LF is a file with an empty name.
pub fn split_files(data: &[u8]) -> Vec<(String, Vec<u8>)> {
    data.split(|&b| b == 0)
        .filter(|r| !r.is_empty())
        .map(|r| match r.iter().position(|&b| b == b'\n') {
            Some(i) => (
                String::from_utf8_lossy(&r[..i]).into_owned(),
                r[i + 1..].to_vec(),
            ),
            None => (String::new(), r.to_vec()),
        })
        .collect()
}

/// A name that is safe to create under a temporary folder: at most one
/// subfolder level, no `..`, nothing empty. Others are made safe rather
/// than dropped, so the input still counts.
pub fn safe_name(name: &str) -> String {
    let parts: Vec<String> = name
        .split('/')
        .filter(|p| !p.is_empty() && *p != "." && *p != "..")
        .take(2)
        .map(|p| p.chars().take(64).collect())
        .collect();
    if parts.is_empty() {
        "unnamed".into()
    } else {
        parts.join("/")
    }
}
