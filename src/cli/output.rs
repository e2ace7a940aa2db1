//! Writing to stdout and stderr without ever panicking. `println!` panics
//! when stdout is a closed pipe (`ceremony verify DIR | head -1`) or a full
//! device; here a closed pipe silently ends further output, and any other
//! write failure is remembered so `main` can report it after the command
//! has had its say.

use std::fmt;
use std::io::{ErrorKind, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static STDOUT_FAILED: Mutex<Option<String>> = Mutex::new(None);

/// Writes to stdout; used by [`out!`](crate::out) and [`outln!`](crate::outln).
pub fn write_stdout(args: fmt::Arguments<'_>, newline: bool) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    // Nothing that could repaint the terminal passes, whatever a value
    // interpolated into the text held.
    let text = args.to_string();
    let text = crate::text::printable_lines(&text);
    let mut o = std::io::stdout().lock();
    let res = o
        .write_all(text.as_bytes())
        .and_then(|_| if newline { o.write_all(b"\n") } else { Ok(()) })
        .and_then(|_| o.flush());
    if let Err(e) = res {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
        if e.kind() != ErrorKind::BrokenPipe
            && let Ok(mut f) = STDOUT_FAILED.lock()
        {
            f.get_or_insert_with(|| e.to_string());
        }
    }
}

/// Writes to stderr; a failure there has nowhere left to be reported.
pub fn write_stderr(args: fmt::Arguments<'_>, newline: bool) {
    let text = args.to_string();
    let text = crate::text::printable_lines(&text);
    let mut e = std::io::stderr().lock();
    let _ = e
        .write_all(text.as_bytes())
        .and_then(|_| if newline { e.write_all(b"\n") } else { Ok(()) });
}

/// Why stdout could not be written, other than a reader that went away.
pub fn stdout_failure() -> Option<String> {
    STDOUT_FAILED.lock().ok().and_then(|f| f.clone())
}

/// `print!` that never panics.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::output::write_stdout(format_args!($($arg)*), false) };
}

/// `println!` that never panics.
#[macro_export]
macro_rules! outln {
    () => { $crate::cli::output::write_stdout(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::cli::output::write_stdout(format_args!($($arg)*), true) };
}

/// `eprint!` that never panics.
#[macro_export]
macro_rules! errout {
    ($($arg:tt)*) => { $crate::cli::output::write_stderr(format_args!($($arg)*), false) };
}

/// `eprintln!` that never panics.
#[macro_export]
macro_rules! errln {
    () => { $crate::cli::output::write_stderr(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::cli::output::write_stderr(format_args!($($arg)*), true) };
}
