//! `-e trace=EXPR`, strace's qualifier syntax (strace 6.1's filter_qualify.c
//! and the manual's "Filtering" section): a comma-separated list of syscall
//! names, numbers, `%class`es, `/regex`es (POSIX extended, as strace's
//! regcomp), `all` and `none`; a leading `!` inverts the whole set, a `?` before
//! an item lets it match nothing. `-e EXPR` is `-e trace=EXPR`.

use std::collections::BTreeSet;
use std::ffi::CString;

use super::kernel::Table;
use super::strace_tables::CLASS_BITS;

/// A parsed expression, resolved against a kernel's table later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceExpr {
    pub invert: bool,
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    All,
    None,
    Name { name: String, optional: bool },
    Number(u32),
    /// A bit of strace_tables::CLASS_BITS.
    Class(u16),
    Regex { pattern: String, optional: bool },
}

impl Default for TraceExpr {
    fn default() -> Self {
        TraceExpr { invert: false, items: vec![Item::All] }
    }
}

/// strace's class names, with the aliases its manual gives.
fn class_bit(name: &str) -> Option<u16> {
    let name = match name {
        "%net" => "%network",
        "%ipc" | "%desc" | "%file" | "%network" | "%process" | "%signal" | "%memory" | "%stat" | "%lstat"
        | "%fstat" | "%%stat" | "%creds" | "%clock" => name,
        _ => return None,
    };
    CLASS_BITS.iter().position(|c| *c == name).map(|i| 1 << i)
}

/// A POSIX extended regular expression, compiled by the C library as strace
/// does.
struct Regex(Box<libc::regex_t>);

impl Regex {
    fn new(pattern: &str) -> Result<Regex, String> {
        let c = CString::new(pattern).map_err(|_| format!("'/{pattern}': a NUL byte in a regular expression"))?;
        // SAFETY: regex_t is plain C data that regcomp initialises.
        let mut re: Box<libc::regex_t> = Box::new(unsafe { std::mem::zeroed() });
        // SAFETY: re and c are valid for the call.
        let rc = unsafe { libc::regcomp(&mut *re, c.as_ptr(), libc::REG_EXTENDED | libc::REG_NOSUB) };
        if rc != 0 {
            return Err(format!("'/{pattern}' is not a valid regular expression"));
        }
        Ok(Regex(re))
    }

    fn matches(&self, s: &str) -> bool {
        let Ok(c) = CString::new(s) else { return false };
        // SAFETY: the regex was compiled by regcomp; no match array asked for.
        unsafe { libc::regexec(&*self.0, c.as_ptr(), 0, std::ptr::null_mut(), 0) == 0 }
    }
}

impl Drop for Regex {
    fn drop(&mut self) {
        // SAFETY: compiled by regcomp, freed once.
        unsafe { libc::regfree(&mut *self.0) }
    }
}

impl TraceExpr {
    /// Parses `trace=EXPR`, `t=EXPR` or a bare EXPR.
    pub fn parse(arg: &str) -> Result<TraceExpr, String> {
        let expr = match arg.split_once('=') {
            Some(("trace" | "t", rest)) => rest,
            Some((q, _)) if q.chars().all(|c| c.is_ascii_alphabetic()) && !q.is_empty() => {
                return Err(format!("-e {arg}: argtrace syscall knows the trace= qualifier only"));
            }
            _ => arg,
        };
        let (invert, list) = match expr.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, expr),
        };
        if list.is_empty() {
            return Err(format!("-e {arg}: an empty syscall list"));
        }
        let mut items = Vec::new();
        for token in list.split(',') {
            let (optional, t) = match token.strip_prefix('?') {
                Some(rest) => (true, rest),
                None => (false, token),
            };
            let item = if t == "all" {
                Item::All
            } else if t == "none" {
                Item::None
            } else if let Some(pattern) = t.strip_prefix('/') {
                Regex::new(pattern)?;
                Item::Regex { pattern: pattern.to_string(), optional }
            } else if t.starts_with('%') {
                match class_bit(t) {
                    Some(bit) => Item::Class(bit),
                    None if optional => Item::None,
                    None => return Err(format!("-e {arg}: unknown syscall class '{t}'")),
                }
            } else if let Ok(n) = t.parse::<u32>() {
                Item::Number(n)
            } else if !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                Item::Name { name: t.to_string(), optional }
            } else {
                return Err(format!("-e {arg}: '{token}' is not a syscall name, number, %class or /regex"));
            };
            items.push(item);
        }
        Ok(TraceExpr { invert, items })
    }

    /// The native syscall numbers of `table` the expression selects, and
    /// those of 32-bit tasks (by the same names).
    pub fn select(&self, table: &Table) -> Result<(BTreeSet<u32>, BTreeSet<u32>), String> {
        let mut native = BTreeSet::new();
        let mut compat = BTreeSet::new();
        for item in &self.items {
            let regex = match item {
                Item::Regex { pattern, .. } => Some(Regex::new(pattern)?),
                _ => None,
            };
            let matches = |name: &str, nr: u32, classes: u16| match item {
                Item::All => true,
                Item::None => false,
                Item::Name { name: n, .. } => n.as_str() == name,
                Item::Number(n) => *n == nr,
                Item::Class(bit) => classes & bit != 0,
                Item::Regex { .. } => regex.as_ref().is_some_and(|r| r.matches(name)),
            };
            let before = native.len() + compat.len();
            native.extend(table.native.values().filter(|s| matches(s.name, s.nr, s.classes)).map(|s| s.nr));
            // A number names a native syscall only.
            if !matches!(item, Item::Number(_)) {
                compat.extend(table.compat.values().filter(|s| matches(s.name, s.nr, s.classes)).map(|s| s.nr));
            }
            match item {
                Item::Name { name, optional: false }
                    if native.len() + compat.len() == before
                        && !table.native.values().chain(table.compat.values()).any(|s| s.name == name.as_str()) =>
                {
                    return Err(format!("-e trace: this kernel has no syscall named '{name}'"));
                }
                Item::Regex { pattern, optional: false }
                    if native.len() + compat.len() == before
                        && !table.native.values().chain(table.compat.values()).any(|s| matches(s.name, 0, 0)) =>
                {
                    return Err(format!("-e trace: no syscall of this kernel matches /{pattern}"));
                }
                Item::Number(n) if !table.native.contains_key(n) => {
                    return Err(format!("-e trace: this kernel has no syscall number {n}"));
                }
                _ => {}
            }
        }
        if self.invert {
            native = table.native.keys().copied().filter(|n| !native.contains(n)).collect();
            compat = table.compat.keys().copied().filter(|n| !compat.contains(n)).collect();
        }
        Ok((native, compat))
    }
}

#[cfg(test)]
mod tests {
    use super::super::kernel::{Syscall, Table};
    use super::*;

    fn table() -> Table {
        let row = |nr, name: &'static str| {
            let classes = super::super::kernel::classes_of(name);
            (nr, Syscall { nr, name, args: None, classes })
        };
        Table {
            native: [row(0, "read"), row(1, "write"), row(2, "open"), row(4, "stat"), row(257, "openat")]
                .into_iter()
                .collect(),
            compat: [row(5, "open")].into_iter().collect(),
            compat_labels: Default::default(),
            source: super::super::kernel::NumberSource::Table(String::new()),
            renamed: Vec::new(),
        }
    }

    fn sel(e: &str) -> Vec<u32> {
        TraceExpr::parse(e).unwrap().select(&table()).unwrap().0.into_iter().collect()
    }

    #[test]
    fn names_classes_negation_and_regexes_select_as_strace_does() {
        assert_eq!(sel("trace=read,write"), [0, 1]);
        assert_eq!(sel("read"), [0]);
        assert_eq!(sel("trace=%file"), [2, 4, 257]);
        assert_eq!(sel("trace=%desc"), [0, 1, 2, 257]);
        assert_eq!(sel("trace=!%file"), [0, 1]);
        assert_eq!(sel("trace=/^open"), [2, 257]);
        assert_eq!(sel("trace=!read"), [1, 2, 4, 257]);
        assert_eq!(sel("trace=%%stat"), [4]);
        assert_eq!(sel("trace=all"), [0, 1, 2, 4, 257]);
        assert_eq!(sel("trace=none"), Vec::<u32>::new());
        assert_eq!(sel("trace=257"), [257]);
        assert_eq!(sel("?nosuch,read"), [0]);
        let (_, compat) = TraceExpr::parse("open").unwrap().select(&table()).unwrap();
        assert_eq!(compat.into_iter().collect::<Vec<_>>(), [5]);
    }

    #[test]
    fn bad_expressions_are_named() {
        assert!(TraceExpr::parse("trace=%nosuch").unwrap_err().contains("%nosuch"));
        assert!(TraceExpr::parse("trace=/(").unwrap_err().contains("regular expression"));
        assert!(TraceExpr::parse("signal=all").unwrap_err().contains("trace="));
        assert!(TraceExpr::parse("trace=").unwrap_err().contains("empty"));
        let e = TraceExpr::parse("nosuch").unwrap().select(&table()).unwrap_err();
        assert_eq!(e, "-e trace: this kernel has no syscall named 'nosuch'");
    }
}
