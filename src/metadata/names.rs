//! Role names the tool can use. A delegated role's name becomes a file name
//! where the tool writes it (`metadata/<role>.json` in the ceremony,
//! `<role>.json` or `N.<role>.json` in an export), so a name from someone
//! else's metadata must be safe as one before anything reads or writes it.

use crate::error::{Error, Result};

use super::Dialect;
use super::root::TOP_ROLES;

/// The longest delegated TUF name: `N.<name>.json` must stay a file name
/// (255 bytes) for any version number.
const TUF_NAME_MAX: usize = 200;

/// Notary's rule for delegation names: lowercase `[-a-z0-9_/]`, under
/// `targets/`, path-clean, shorter than 256.
pub fn notary_role_name_ok(name: &str) -> bool {
    name.len() < 256
        && name.starts_with("targets/")
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_/".contains(&b))
        && !name.ends_with('/')
        && !name
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..")
}

/// Why `name` cannot be a role this tool reads or writes, if it cannot: a
/// top-level role, or a delegated name that is safe as a file name (not
/// empty, no control character, no backslash, no leading `/`, no `.` or
/// `..` part; Notary's `targets/…` form in Notary, no `/` at all in TUF).
pub fn role_name_problem(dialect: Dialect, name: &str) -> Option<String> {
    if TOP_ROLES.contains(&name) {
        return None;
    }
    let unsafe_why = if name.is_empty() {
        Some("is empty")
    } else if name.chars().any(char::is_control) {
        Some("holds a control character")
    } else if name.contains('\\') {
        Some("holds a backslash")
    } else if name.starts_with('/') {
        Some("starts with /")
    } else if name.split('/').any(|p| p == "." || p == "..") {
        Some("has a . or .. part")
    } else {
        None
    };
    if let Some(why) = unsafe_why {
        return Some(format!(
            "role name {name:?} {why}: it is not safe as a file name"
        ));
    }
    match dialect {
        Dialect::Notary if !notary_role_name_ok(name) => Some(format!(
            "{name:?} is not a Notary delegation name (lowercase [-a-z0-9_/] under targets/, no empty part, shorter than 256)"
        )),
        Dialect::Tuf if name.contains('/') => Some(format!(
            "TUF role name {name:?} holds '/': python-tuf would fetch it URL-quoted (%2F) while this tool writes it as a file name, so it is refused"
        )),
        Dialect::Tuf if name.len() > TUF_NAME_MAX => Some(format!(
            "TUF role name is longer than {TUF_NAME_MAX} bytes: too long for a file name"
        )),
        _ => None,
    }
}

/// Why `name` cannot be a role a targets role delegates to, if it cannot:
/// [`role_name_problem`], and not one of the four top-level roles (whose
/// files it would stand for).
pub fn delegated_name_problem(dialect: Dialect, name: &str) -> Option<String> {
    if TOP_ROLES.contains(&name) {
        return Some(format!(
            "a delegation may not be named {name:?}, the name of a top-level role"
        ));
    }
    role_name_problem(dialect, name)
}

/// What to do about a refused name.
pub fn name_hint(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Notary => "Notary delegations are lowercase under targets/, e.g. targets/releases",
        Dialect::Tuf => "use a role name without '/', '\\', control characters or . / .. parts",
    }
}

/// Refuses a delegated name found in metadata (verification failed).
pub fn check_delegated_name(dialect: Dialect, name: &str) -> Result<()> {
    match delegated_name_problem(dialect, name) {
        None => Ok(()),
        Some(why) => Err(Error::verification(why).hint(name_hint(dialect))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_names_are_refused_in_both_dialects() {
        for d in [Dialect::Notary, Dialect::Tuf] {
            for bad in [
                "",
                ".",
                "..",
                "../../etc",
                "targets/../x",
                "targets/./x",
                "a\nb",
                "targets/a\u{1}",
                "a\\b",
                "/abs",
                "targets//x",
                "targets/",
            ] {
                assert!(role_name_problem(d, bad).is_some(), "{d} {bad:?}");
                assert!(check_delegated_name(d, bad).is_err(), "{d} {bad:?}");
            }
            for top in TOP_ROLES {
                assert!(role_name_problem(d, top).is_none());
                assert!(check_delegated_name(d, top).is_err());
            }
        }
    }

    #[test]
    fn each_dialect_keeps_its_own_form() {
        assert!(role_name_problem(Dialect::Notary, "targets/releases").is_none());
        assert!(role_name_problem(Dialect::Notary, "targets/a/b").is_none());
        assert!(role_name_problem(Dialect::Notary, "releases").is_some());
        assert!(role_name_problem(Dialect::Notary, "targets/Releases").is_some());
        assert!(role_name_problem(Dialect::Tuf, "project").is_none());
        assert!(role_name_problem(Dialect::Tuf, "bins-0.x_y").is_none());
        assert!(role_name_problem(Dialect::Tuf, "a/b").is_some());
        assert!(role_name_problem(Dialect::Tuf, &"x".repeat(201)).is_some());
    }
}
