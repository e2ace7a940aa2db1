//! The `ceremony` binary: parse arguments, run, map the outcome to an exit
//! status (0 ok, 1 verification failed, 2 unusable input).

use clap::Parser;

fn main() {
    // First, while the process has a single thread.
    take_passphrases_from_environment();
    // The QR decoder runs on a thread of its own and may panic on a crafted
    // image; that frame is reported as unreadable, so its panic stays quiet.
    // Any other panic is a bug and is shown as Rust shows it.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() != Some(ceremony::transfer::qr::DECODER_THREAD) {
            default_hook(info);
        }
    }));
    // Parsing the arguments reads no secret; the command decides whether
    // memory is locked (every command is kept from core dumps).
    let parsed = ceremony::cli::Cli::try_parse();
    let lock = parsed.as_ref().is_ok_and(|c| c.may_touch_secrets());
    let problems = ceremony::secret::harden_process(lock);
    for p in problems {
        ceremony::errln!("warning: {p}");
    }
    let outcome = match parsed {
        Ok(cli) => ceremony::cli::run(cli),
        Err(e) => clap_says(&e),
    };
    // Output that could not be written (a full disk, not a reader that
    // went away) is unusable output: say so unless the command failed anyway.
    let outcome = match (outcome, ceremony::cli::output::stdout_failure()) {
        (Ok(()), Some(why)) => Err(ceremony::Error::input(format!(
            "cannot write to standard output: {why}"
        ))),
        (o, _) => o,
    };
    // `exit` runs no destructors: wipe the kept passphrases now.
    ceremony::secret::env::forget();
    if let Err(e) = outcome {
        // A reason is one line: a newline in a path or name it quotes is
        // shown escaped, so it cannot print a line of its own.
        ceremony::errln!("ceremony: error: {}", ceremony::text::printable(e.reason()));
        if let Some(h) = e.hint_text() {
            ceremony::errln!("hint: {}", ceremony::text::printable(h));
        }
        std::process::exit(e.exit_code());
    }
}

/// Takes the passphrase variables out of the environment, so no child
/// process inherits them, and keeps their values for the library (in
/// zeroizing types). Must run before any thread starts.
#[allow(unsafe_code)]
fn take_passphrases_from_environment() {
    let mut kept = Vec::new();
    for name in ceremony::secret::env::VARS {
        let Some(value) = std::env::var_os(name) else {
            continue;
        };
        // A value that is not UTF-8 counts as unset, as it always has.
        match value.into_string() {
            Ok(value) => kept.push((name, ceremony::secret::Passphrase::from(value))),
            Err(other) => {
                use std::os::unix::ffi::OsStringExt;
                zeroize::Zeroize::zeroize(&mut other.into_vec());
            }
        }
        wipe_in_place(name);
        // SAFETY: `remove_var` races only with other threads reading or
        // writing the environment; this runs first thing in `main`, before
        // the tool starts any thread, so there are none.
        unsafe { std::env::remove_var(name) };
    }
    ceremony::secret::env::keep(kept);
}

/// Overwrites the value of every `name=value` entry of the process's own
/// environment block with zero bytes. Removing a variable only drops its
/// entry from the list libc keeps; the bytes stay where the kernel put
/// them at `exec`, and `/proc/PID/environ` (readable by every process of
/// the same user) shows them for the life of the process. Afterwards it
/// shows `name=` followed by zero bytes.
#[allow(unsafe_code)]
fn wipe_in_place(name: &str) {
    unsafe extern "C" {
        // The C library's list of `name=value` strings (glibc and musl);
        // `mut`: libc changes it (setenv, unsetenv).
        static mut environ: *const *mut std::ffi::c_char;
    }
    let name = name.as_bytes();
    // SAFETY: called from `main` before any thread starts, so nothing reads
    // or changes the list meanwhile. `environ` is null or points to a
    // null-terminated array of pointers to NUL-terminated strings the
    // process owns and may write (the initial block on the stack, or what
    // libc allocated for `setenv`). Every write stays inside one string,
    // before its NUL; the strings keep their length, so the list stays
    // well formed.
    unsafe {
        let mut at = environ;
        if at.is_null() {
            return;
        }
        while !(*at).is_null() {
            let entry = *at;
            // The shared view of the string ends before the writes.
            let (len, ours) = {
                let text = std::ffi::CStr::from_ptr(entry).to_bytes();
                let ours =
                    text.len() > name.len() && text.starts_with(name) && text[name.len()] == b'=';
                (text.len(), ours)
            };
            if ours {
                for i in name.len() + 1..len {
                    // Volatile: the bytes are read by nothing in this
                    // process afterwards, so a plain write could be dropped.
                    std::ptr::write_volatile(entry.add(i), 0);
                }
            }
            at = at.add(1);
        }
    }
}

/// Help, version or a usage error, written through the crate's output
/// (clap's own printing drops write errors): help to a full disk is then
/// refused like any other output.
fn clap_says(e: &clap::Error) -> ceremony::Result<()> {
    let text = e.render().to_string();
    if e.use_stderr() {
        ceremony::errout!("{text}");
    } else {
        ceremony::out!("{text}");
    }
    match e.exit_code() {
        // main reports a failed write; else clap's own status.
        0 => Ok(()),
        _ if ceremony::cli::output::stdout_failure().is_some() => Ok(()),
        code => std::process::exit(code),
    }
}
