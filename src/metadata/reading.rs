//! How strictly metadata is read, where the peers disagree among
//! themselves. The default is the strict side; an officer who must read an
//! older repository anyway asks for one leniency by name (`verify
//! --lenient-times`, `--legacy-keyids`), for one run.
//!
//! The choice is scoped, not global: [`with`] sets it for the work done
//! inside (on this thread, and on the worker threads
//! [`crate::signature::verify::par_map`] starts, which carry it over), and
//! puts the previous choice back afterwards, also when that work panics.
//! Everything else in the process keeps reading strictly.

use std::cell::Cell;

/// The leniencies in force.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reading {
    /// TUF `expires` with fractional seconds or a UTC offset (go-tuf v2,
    /// tough write them) is read as an RFC 3339 time, as Notary's times
    /// are, instead of refused; the spec's form is `YYYY-MM-DDTHH:MM:SSZ`.
    pub lenient_times: bool,
    /// A TUF key ID that is the hash of the key object with python-tuf
    /// 0.x's `keyid_hash_algorithms` member added (or taken away) is taken
    /// as the key's ID, instead of refused as not matching its key.
    pub legacy_keyids: bool,
}

impl Reading {
    /// The flags that ask for these leniencies, for messages and records.
    pub fn flags(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.lenient_times {
            out.push("--lenient-times");
        }
        if self.legacy_keyids {
            out.push("--legacy-keyids");
        }
        out
    }
}

thread_local! {
    static CURRENT: Cell<Reading> = const { Cell::new(Reading { lenient_times: false, legacy_keyids: false }) };
}

/// The leniencies in force on this thread (none unless inside [`with`]).
pub fn current() -> Reading {
    CURRENT.with(Cell::get)
}

/// Runs `f` with `reading` in force on this thread.
pub fn with<R>(reading: Reading, f: impl FnOnce() -> R) -> R {
    /// Puts the previous choice back when dropped, unwinding included.
    struct Restore(Reading);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(CURRENT.with(|c| c.replace(reading)));
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_by_default_and_restored_after_use() {
        assert_eq!(current(), Reading::default());
        let lenient = Reading {
            lenient_times: true,
            legacy_keyids: false,
        };
        let inside = with(lenient, current);
        assert_eq!(inside, lenient);
        assert_eq!(current(), Reading::default());
        // Restored when the work panics, too.
        let r = std::panic::catch_unwind(|| with(lenient, || panic!("boom")));
        assert!(r.is_err());
        assert_eq!(current(), Reading::default());
    }

    #[test]
    fn worker_threads_carry_it() {
        let lenient = Reading {
            lenient_times: false,
            legacy_keyids: true,
        };
        let items: Vec<u32> = (0..100).collect();
        let seen = with(lenient, || {
            crate::signature::verify::par_map(&items, |_| current())
        });
        assert!(seen.iter().all(|r| *r == lenient));
        // And a thread started outside it reads strictly.
        let outside = std::thread::spawn(current).join().ok();
        assert_eq!(outside, Some(Reading::default()));
    }
}
