//! Each syscall's number, name, and its arguments' names and C types.
//!
//! Names and C types come from the running kernel: the syscall tracepoints'
//! format files in tracefs (`syscalls/sys_enter_*/format`, made by the kernel
//! from its own struct syscall_metadata), their struct and typedef names
//! resolved through the kernel's BTF. Without tracefs (or for a syscall it
//! has no event for) the arguments are printed by position, as raw values.
//!
//! Numbers come from strace 6.1's table for the architecture (data:
//! strace_tables.rs, from the kernel's syscall_64.tbl and asm-generic/unistd.h
//! through strace's syscallent.h), and argtrace says so at start-up. The
//! kernel's own numbering was tried first: init_ftrace_syscalls() numbers each
//! struct syscall_metadata at boot, but the array of pointers to them
//! (__start_syscalls_metadata) is init data, freed once the kernel has booted,
//! and the nr-indexed `syscalls_metadata` is a static that /proc/kallsyms
//! shows only with CONFIG_KALLSYMS_ALL (not on this machine's 6.18, nor
//! Debian's arm64 6.1); x86_64 has no sys_call_table since 6.9.

use std::collections::BTreeMap;

use super::strace_tables;

/// How one argument's value is printed: its C type, resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// An integer of this many bytes, signed or not.
    Int { bytes: u8, signed: bool },
    /// `const char *` or `char *`: a string, unless the direction table says
    /// it is a buffer.
    CharPtr,
    /// Any other pointer: an address.
    Pointer,
    /// A type argtrace cannot resolve: hexadecimal, as strace's raw form.
    Raw,
}

#[derive(Clone, Debug)]
pub struct Arg {
    pub name: String,
    pub ctype: String,
    pub kind: ValueKind,
}

#[derive(Clone, Debug)]
pub struct Syscall {
    pub nr: u32,
    /// As strace names it (`stat` for the kernel's `newstat`); made once per
    /// run and kept for its whole life (a record's `syscall` names it).
    pub name: &'static str,
    /// None: the arguments are unknown (printed by position).
    pub args: Option<Vec<Arg>>,
    /// strace's trace classes (strace_tables::CLASS_BITS).
    pub classes: u16,
}

#[derive(Clone, Debug)]
pub struct Table {
    pub native: BTreeMap<u32, Syscall>,
    /// 32-bit tasks' syscalls (i386 on x86_64), named from strace's table.
    pub compat: BTreeMap<u32, Syscall>,
    /// The summary's names of 32-bit tasks' syscalls: `open (i386)`.
    pub compat_labels: BTreeMap<u32, &'static str>,
    /// Said once at start-up: where the numbers came from, and why.
    pub fallback_reason: Option<String>,
}

/// The kernel's function names that strace names otherwise.
const ALIASES: &[(&str, &str)] = &[
    ("newstat", "stat"),
    ("newlstat", "lstat"),
    ("newfstat", "fstat"),
    ("newuname", "uname"),
    ("umount", "umount2"),
    ("sendfile64", "sendfile"),
];

fn native_strace_table() -> &'static [(u32, &'static str, u16)] {
    if cfg!(target_arch = "aarch64") {
        strace_tables::AARCH64
    } else {
        strace_tables::X86_64
    }
}

fn compat_strace_table() -> &'static [(u32, &'static str, u16)] {
    if cfg!(target_arch = "x86_64") {
        strace_tables::I386
    } else {
        &[]
    }
}

/// strace's classes of a syscall by name, in any of its tables.
pub fn classes_of(name: &str) -> u16 {
    native_strace_table()
        .iter()
        .chain(compat_strace_table())
        .filter(|(_, n, _)| *n == name)
        .fold(0, |acc, (_, _, c)| acc | c)
}

/// The table without argument types: enough to check an expression.
pub fn names_only() -> Table {
    table_with(|_| None)
}

/// The table of the running kernel.
pub fn load(btf: &BtfTypes) -> Table {
    table_with(|name| tracefs_args(name, btf))
}

fn table_with(args_of: impl Fn(&str) -> Option<Vec<Arg>>) -> Table {
    let compat: BTreeMap<u32, Syscall> = compat_strace_table()
        .iter()
        .map(|&(nr, name, classes)| (nr, Syscall { nr, name, args: None, classes }))
        .collect();
    let native = native_strace_table()
        .iter()
        .map(|&(nr, name, classes)| {
            let args = args_of(name);
            (nr, Syscall { nr, name, args, classes })
        })
        .collect();
    let reason = "the kernel's own numbering is not readable: see src/subject/syscall/kernel.rs".to_string();
    let abi = if cfg!(target_arch = "x86_64") { "i386" } else { "arm" };
    let compat_labels = compat
        .values()
        .map(|s: &Syscall| (s.nr, &*Box::leak(format!("{} ({abi})", s.name).into_boxed_str())))
        .collect();
    Table { native, compat, compat_labels, fallback_reason: Some(reason) }
}

/// A syscall's arguments from its tracefs format file (`field:int dfd;`
/// after the common fields and `__syscall_nr`); None without tracefs.
fn tracefs_args(name: &str, btf: &BtfTypes) -> Option<Vec<Arg>> {
    let kernel_name = ALIASES.iter().find(|(_, s)| *s == name).map_or(name, |(k, _)| k);
    // arm64 defines some syscalls under its own name (personality is
    // SYSCALL_DEFINE1(arm64_personality, ...)): their event says so.
    let arch_name = format!("arm64_{name}");
    let names = [kernel_name, if cfg!(target_arch = "aarch64") { &arch_name } else { kernel_name }];
    let text = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"].iter().find_map(|root| {
        names.iter().find_map(|n| std::fs::read_to_string(format!("{root}/events/syscalls/sys_enter_{n}/format")).ok())
    })?;
    Some(parse_format(&text, btf))
}

/// The arguments of a `sys_enter_*` format file.
pub fn parse_format(text: &str, btf: &BtfTypes) -> Vec<Arg> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("field:")?.split(';').next())
        .filter_map(|decl| {
            let decl = decl.trim();
            let split = decl.rfind([' ', '*'])?;
            let (ctype, name) = (decl[..=split].trim(), decl[split + 1..].trim());
            (!name.starts_with("common_") && name != "__syscall_nr")
                .then(|| Arg { name: name.to_string(), kind: btf.kind_of(ctype), ctype: ctype.to_string() })
        })
        .collect()
}

/// C type names resolved through the kernel's BTF (`umode_t` is an unsigned
/// short, `key_serial_t` an int).
pub struct BtfTypes {
    btf: Option<libbpf_rs::btf::Btf<'static>>,
}

impl BtfTypes {
    pub fn open(path: &std::path::Path) -> BtfTypes {
        BtfTypes { btf: libbpf_rs::btf::Btf::from_path(path).ok() }
    }

    #[cfg(test)]
    pub fn none() -> BtfTypes {
        BtfTypes { btf: None }
    }

    pub fn kind_of(&self, ctype: &str) -> ValueKind {
        let t = ctype.replace("__user", "");
        let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
        if t.contains('*') {
            let base = t.trim_end_matches('*').trim().trim_start_matches("const ").trim();
            return if base == "char" && t.matches('*').count() == 1 { ValueKind::CharPtr } else { ValueKind::Pointer };
        }
        let t = t.trim_start_matches("const ").trim_start_matches("volatile ").trim();
        if let Some(k) = base_kind(t) {
            return k;
        }
        self.typedef_kind(t).unwrap_or(ValueKind::Raw)
    }

    fn typedef_kind(&self, name: &str) -> Option<ValueKind> {
        use libbpf_rs::btf::types::{Enum, Int, IntEncoding};
        use libbpf_rs::btf::{BtfKind, BtfType};
        let btf = self.btf.as_ref()?;
        let t: BtfType = btf.type_by_name(name)?;
        let t = t.skip_mods_and_typedefs();
        match t.kind() {
            BtfKind::Int => {
                let i = Int::try_from(t).ok()?;
                Some(ValueKind::Int { bytes: i.bits / 8, signed: matches!(i.encoding, IntEncoding::Signed) })
            }
            BtfKind::Enum => {
                let e = Enum::try_from(t).ok()?;
                Some(ValueKind::Int { bytes: 4, signed: e.is_signed() })
            }
            BtfKind::Ptr => Some(ValueKind::Pointer),
            _ => None,
        }
    }
}

/// C's own integer types, as the kernel spells them (LP64).
fn base_kind(t: &str) -> Option<ValueKind> {
    let words: Vec<&str> = t.split(' ').collect();
    if !words.iter().all(|w| matches!(*w, "unsigned" | "signed" | "char" | "short" | "int" | "long")) {
        return None;
    }
    let signed = !words.contains(&"unsigned") && words != ["char"];
    let bytes = if words.contains(&"long") {
        8
    } else if words.contains(&"short") {
        2
    } else if words.contains(&"char") {
        1
    } else {
        4
    };
    Some(ValueKind::Int { bytes, signed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_types_are_resolved_by_width_and_sign() {
        let b = BtfTypes::none();
        assert_eq!(b.kind_of("int"), ValueKind::Int { bytes: 4, signed: true });
        assert_eq!(b.kind_of("unsigned long"), ValueKind::Int { bytes: 8, signed: false });
        assert_eq!(b.kind_of("long"), ValueKind::Int { bytes: 8, signed: true });
        assert_eq!(b.kind_of("unsigned int"), ValueKind::Int { bytes: 4, signed: false });
        assert_eq!(b.kind_of("const char *"), ValueKind::CharPtr);
        assert_eq!(b.kind_of("const char __user *"), ValueKind::CharPtr);
        assert_eq!(b.kind_of("const char *const *"), ValueKind::Pointer);
        assert_eq!(b.kind_of("struct stat *"), ValueKind::Pointer);
        assert_eq!(b.kind_of("umode_t"), ValueKind::Raw);
    }

    #[test]
    fn a_format_file_gives_names_and_types() {
        let text = "name: sys_enter_openat\nID: 700\nformat:\n\
            \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\
            \tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n\
            \tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;\n\
            \tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;\n\
            \tfield:int flags;\toffset:32;\tsize:8;\tsigned:0;\n\
            \tfield:umode_t mode;\toffset:40;\tsize:8;\tsigned:0;\n";
        let args = parse_format(text, &BtfTypes::none());
        let names: Vec<_> = args.iter().map(|a| (a.name.as_str(), a.ctype.as_str())).collect();
        assert_eq!(names, [("dfd", "int"), ("filename", "const char *"), ("flags", "int"), ("mode", "umode_t")]);
    }

    #[test]
    fn the_numbers_every_architecture_shares_from_424_on_are_in_the_table() {
        // strace's src/linux/generic/syscallent-common.h: once missed, which
        // left clone3, openat2, close_range and faccessat2 unnamed.
        for table in [strace_tables::X86_64, strace_tables::AARCH64, strace_tables::I386] {
            for (nr, name) in [(424, "pidfd_send_signal"), (435, "clone3"), (436, "close_range"), (439, "faccessat2")] {
                assert!(table.iter().any(|r| r.0 == nr && r.1 == name), "{name} is not {nr}");
            }
        }
    }
}
