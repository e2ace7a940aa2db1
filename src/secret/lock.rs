//! Keeping the process's memory out of swap (and so out of a hibernation
//! image written to swap).
//!
//! The whole address space is locked with `mlockall(MCL_CURRENT |
//! MCL_FUTURE | MCL_ONFAULT)`, not each secret buffer with `mlock`:
//!
//! - secrets pass through memory this crate does not own — age's stream
//!   buffers, scrypt's working set, `rpassword`'s line, the signing crates'
//!   stack copies, `vsss-rs`'s polynomials — and only a whole-process lock
//!   covers them;
//! - `mlock` works on pages and does not nest, so unlocking one small
//!   buffer unlocks its neighbours unless every secret gets pages of its
//!   own, which needs a hand-written allocator;
//! - both of those need `unsafe` (raw pointers), which the library forbids;
//!   `rustix::mm::mlockall` is a safe call.
//!
//! The cost: every page the process touches stays resident until it exits,
//! including scrypt's 256 MiB (up to 4 GiB to open a file at the ceiling).
//! Under a small `RLIMIT_MEMLOCK` (often 8 MiB for ordinary users)
//! `MCL_FUTURE` would make those allocations fail and the tool abort, so
//! memory is locked only when the process may lock all it needs: it holds
//! `CAP_IPC_LOCK` (root on most machines) or the limit is at least
//! [`NEEDED`]. Otherwise it runs unlocked, and says so once when swap is
//! on. `MCL_ONFAULT` (Linux 4.4) keeps reserved-but-untouched memory, such
//! as thread stacks, from being made resident up front.

use rustix::mm::{MlockAllFlags, mlockall};
use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// The locked memory the tool may need: scrypt at the opening ceiling
/// (2^22 × 1 KiB = 4 GiB) plus room for the rest.
pub const NEEDED: u64 = 5 << 30;

/// What became of locking memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locking {
    /// Every page, present and future, stays in RAM.
    Locked,
    /// Not locked, for this reason; `swap` says whether the system has
    /// swap on (or could not tell), which is when it matters.
    Unlocked {
        /// Why memory is not locked.
        why: String,
        /// Swap is on, or its state is unknown.
        swap: bool,
    },
}

impl Locking {
    /// The one warning to print, if any: only when memory is not locked
    /// and there is swap to leak into.
    pub fn warning(&self) -> Option<String> {
        match self {
            Locking::Locked | Locking::Unlocked { swap: false, .. } => None,
            Locking::Unlocked { why, swap: true } => Some(format!(
                "secrets may be swapped to disk: memory is not locked ({why}); \
                 run as root, raise `ulimit -l` to unlimited, or turn swap off (swapoff -a)"
            )),
        }
    }
}

/// Locks all memory of the process when it may lock all it needs (see the
/// module notes); never fails, only reports.
pub fn lock_memory() -> Locking {
    let limit = raise_limit();
    let cap = has_ipc_lock();
    if !may_lock_everything(limit, cap) {
        let shown = limit.map_or("unlimited".to_string(), |b| format!("{} KiB", b / 1024));
        return Locking::Unlocked {
            why: format!("RLIMIT_MEMLOCK is {shown} and the process lacks CAP_IPC_LOCK"),
            swap: swap_is_on(),
        };
    }
    let all = MlockAllFlags::CURRENT | MlockAllFlags::FUTURE;
    let done = match mlockall(all | MlockAllFlags::ONFAULT) {
        // A kernel before 4.4 knows no MCL_ONFAULT.
        Err(rustix::io::Errno::INVAL) => mlockall(all),
        other => other,
    };
    match done {
        Ok(()) => Locking::Locked,
        Err(e) => Locking::Unlocked {
            why: format!("mlockall refused: {e}"),
            swap: swap_is_on(),
        },
    }
}

/// Whether locking everything leaves allocations room: with
/// `CAP_IPC_LOCK` the limit does not apply; `None` is an unlimited limit.
pub fn may_lock_everything(limit: Option<u64>, cap_ipc_lock: bool) -> bool {
    cap_ipc_lock || limit.is_none_or(|b| b >= NEEDED)
}

/// The soft memlock limit after raising it as far as the hard one allows
/// (an unprivileged process may); `None` is unlimited.
fn raise_limit() -> Option<u64> {
    let now = getrlimit(Resource::Memlock);
    if now.current.is_some() && now.current != now.maximum {
        let raised = Rlimit {
            current: now.maximum,
            maximum: now.maximum,
        };
        if setrlimit(Resource::Memlock, raised).is_ok() {
            return now.maximum;
        }
    }
    now.current
}

/// Whether the effective capabilities hold `CAP_IPC_LOCK` (bit 14), read
/// from `/proc/self/status`; false where that cannot be read.
fn has_ipc_lock() -> bool {
    const CAP_IPC_LOCK: u32 = 14;
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .is_some_and(|caps| caps & (1 << CAP_IPC_LOCK) != 0)
}

/// Whether any swap area is active (`/proc/swaps` lists one below its
/// header); true when that cannot be read, to err on the side of saying.
fn swap_is_on() -> bool {
    match std::fs::read_to_string("/proc/swaps") {
        Ok(t) => t.lines().skip(1).any(|l| !l.trim().is_empty()),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_is_locked_only_when_allocations_keep_room() {
        assert!(may_lock_everything(None, false));
        assert!(may_lock_everything(Some(8 << 20), true));
        assert!(may_lock_everything(Some(NEEDED), false));
        assert!(!may_lock_everything(Some(8 << 20), false));
        assert!(!may_lock_everything(Some(0), false));
    }

    #[test]
    fn the_warning_comes_only_with_swap_and_no_lock() {
        assert_eq!(Locking::Locked.warning(), None);
        let quiet = Locking::Unlocked {
            why: "x".into(),
            swap: false,
        };
        assert_eq!(quiet.warning(), None);
        let loud = Locking::Unlocked {
            why: "RLIMIT_MEMLOCK is 8192 KiB".into(),
            swap: true,
        };
        let w = loud.warning().unwrap_or_default();
        assert!(
            w.contains("RLIMIT_MEMLOCK is 8192 KiB") && w.contains("swapoff"),
            "{w}"
        );
    }

    /// Where the process may, locking takes effect: the kernel then counts
    /// locked pages for it.
    #[test]
    fn a_permitted_lock_shows_in_the_kernels_count() {
        let outcome = lock_memory();
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let locked_kib = status
            .lines()
            .find_map(|l| l.strip_prefix("VmLck:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
        if outcome == Locking::Locked {
            assert!(locked_kib.is_some_and(|k| k > 0), "{status}");
        }
        // Undone so the rest of this test binary runs as it would elsewhere.
        let _ = rustix::mm::munlockall();
    }
}
