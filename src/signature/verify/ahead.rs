//! Work done ahead of the walk, on every core: files are parsed in
//! parallel, and the signatures of each root in the history are checked
//! against the root keys of its own version and of the version before it
//! (the two counts a rotation needs). The results go into the same
//! [`Checked`] cache the walk's counts read, in the order the walk would
//! have checked them, so the walk decides exactly as before; it only finds
//! the answers already there.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::Envs;
use crate::metadata::root::Root;
use crate::metadata::{Dialect, Parsed};
use crate::signature::{Checked, check_unique_signatures};

/// Items a worker takes at a time: small enough that the cores finish
/// together (files differ in size, roots in signatures), large enough that
/// taking them costs nothing.
const CHUNK: usize = 8;

/// `f` over `items`, in order, on up to as many threads as there are cores
/// (this one among them). Workers take the next few items as they go, so
/// an expensive stretch of items does not hold one core up alone.
pub fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || items.len() <= CHUNK {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    // Workers read metadata as leniently as the caller does.
    let reading = crate::metadata::reading::current();
    let work = || {
        let mut done = Vec::new();
        loop {
            let start = next.fetch_add(CHUNK, Ordering::Relaxed);
            if start >= items.len() {
                return done;
            }
            let end = start.saturating_add(CHUNK).min(items.len());
            done.extend((start..end).map(|i| (i, f(&items[i]))));
        }
    };
    let parts = std::thread::scope(|s| {
        let helpers: Vec<_> = (1..threads.min(items.len().div_ceil(CHUNK)))
            .map(|_| s.spawn(|| crate::metadata::reading::with(reading, work)))
            .collect();
        let mut parts = vec![work()];
        for h in helpers {
            match h.join() {
                Ok(part) => parts.push(part),
                // A panic in a worker is a bug; let it surface as one.
                Err(e) => std::panic::resume_unwind(e),
            }
        }
        parts
    });
    // Each index was taken exactly once: every slot is filled.
    let mut slots: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    for (i, r) in parts.into_iter().flatten() {
        slots[i] = Some(r);
    }
    slots.into_iter().flatten().collect()
}

/// What is known ahead about one root of the history: its signatures
/// checked so far, and the root itself when it parses.
pub(super) struct Ahead<'a> {
    pub checked: Checked<'a>,
    pub root: Option<Root>,
}

/// The root history (`version → file`) worked on ahead, by file name.
pub(super) fn root_history<'a>(
    dialect: Dialect,
    history: &BTreeMap<u64, String>,
    envs: &'a Envs,
) -> BTreeMap<String, Ahead<'a>> {
    let files: Vec<(u64, &String, &'a Parsed)> = history
        .iter()
        .filter_map(|(v, n)| match envs.get(n) {
            Some(Ok(p)) => Some((*v, n, p)),
            _ => None,
        })
        .collect();
    let roots = par_map(&files, |(_, _, p)| Root::parse(dialect, &p.env.signed).ok());
    let jobs: Vec<usize> = (0..files.len()).collect();
    let checked = par_map(&jobs, |&i| {
        let (v, _, p) = files[i];
        let prev = i
            .checked_sub(1)
            .filter(|j| files[*j].0.checked_add(1) == Some(v))
            .and_then(|j| roots[j].as_ref());
        let mut c = Checked::over(&p.canonical);
        // The walk refuses such a file before checking any signature: so
        // does the work ahead (a hostile file gains no extra checks).
        if check_unique_signatures(&p.env).is_err() {
            return c;
        }
        // Previous version first: the walk counts its keys first.
        for root in [prev, roots[i].as_ref()].into_iter().flatten() {
            c.check_all(dialect, &p.env, root);
        }
        c
    });
    files
        .iter()
        .zip(checked.into_iter().zip(roots))
        .map(|((_, n, _), (checked, root))| ((*n).clone(), Ahead { checked, root }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::par_map;

    #[test]
    fn par_map_keeps_order_and_covers_every_item() {
        for n in [0usize, 1, 7, 8, 9, 100, 1001] {
            let items: Vec<usize> = (0..n).collect();
            let out = par_map(&items, |i| i * 3);
            assert_eq!(out, items.iter().map(|i| i * 3).collect::<Vec<_>>());
        }
    }
}
