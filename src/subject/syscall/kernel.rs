//! Each syscall's number, name, and its arguments' names and C types.
//!
//! Numbers and names come from the running kernel where it shows them: its
//! syscall metadata, numbered at boot (metadata.rs: /proc/kallsyms's
//! `syscalls_metadata`, CONFIG_KALLSYMS_ALL). Where it hides them, from
//! strace 6.1's table for the architecture (data: strace_tables.rs, from the
//! kernel's syscall_64.tbl and asm-generic/unistd.h through strace's
//! syscallent.h), and argtrace says so at start-up, with the reason. 32-bit
//! tasks' numbers always come from strace's table (the kernel's metadata is
//! indexed by native numbers only).
//!
//! Argument names and C types come from the syscall tracepoints' format files
//! in tracefs (`syscalls/sys_enter_*/format`, made by the kernel from the same
//! metadata); without tracefs (or ARGTRACE_NO_TRACEFS=1), from the metadata
//! where it was read, else from BTF's typed `__do_sys_<name>` functions where
//! the kernel has one (about a hundred: most syscalls' are inlined), else
//! they are printed by position, as raw values. Struct and typedef names are
//! resolved through the kernel's BTF.

use std::collections::BTreeMap;

use super::metadata::Entry;
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
    /// Where the native numbers came from.
    pub source: NumberSource,
    /// The numbers the kernel names otherwise than strace's table (`-v`).
    pub renamed: Vec<String>,
}

/// Where a table's native syscall numbers and names came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NumberSource {
    /// The running kernel's syscall metadata: this many syscalls, and the
    /// numbers it has no metadata for (no SYSCALL_DEFINE: sys_ni_syscall
    /// gaps) named from strace's table.
    Kernel { syscalls: usize, from_table: usize },
    /// strace 6.1's table for the architecture, because of this.
    Table(String),
}

impl NumberSource {
    /// The start-up statement: where the numbers came from.
    pub fn statement(&self) -> String {
        let arch = std::env::consts::ARCH;
        let compat = if cfg!(target_arch = "x86_64") {
            "; i386 tasks' from strace 6.1's i386 table"
        } else {
            "; arm (AArch32) tasks' from strace 6.1's arm table"
        };
        match self {
            NumberSource::Kernel { syscalls, from_table } => format!(
                "argtrace: syscall numbers from the running kernel (syscalls_metadata: {syscalls} syscalls; \
                 {from_table} numbers without metadata named from strace 6.1's table{compat})"
            ),
            NumberSource::Table(why) => format!("argtrace: syscall numbers from strace 6.1's table for {arch} ({why})"),
        }
    }
}

/// The kernel's function names that strace names otherwise (aarch64's
/// fadvise64 is the kernel's fadvise64_64: x86_64 has both, under their own
/// names, found by `-v` in the arm64 guests).
const ALIASES: &[(&str, &str)] = &[
    ("newstat", "stat"),
    ("newlstat", "lstat"),
    ("newfstat", "fstat"),
    ("newuname", "uname"),
    ("umount", "umount2"),
    ("sendfile64", "sendfile"),
    #[cfg(target_arch = "aarch64")]
    ("fadvise64_64", "fadvise64"),
];

fn native_strace_table() -> &'static [(u32, &'static str, u16)] {
    if cfg!(target_arch = "aarch64") {
        strace_tables::AARCH64
    } else {
        strace_tables::X86_64
    }
}

/// 32-bit tasks' table: i386 on x86_64, arm's EABI on arm64 (AArch32).
fn compat_strace_table() -> &'static [(u32, &'static str, u16)] {
    if cfg!(target_arch = "x86_64") {
        strace_tables::I386
    } else {
        strace_tables::ARM
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
    table_with(|_| None, NumberSource::Table(String::new()))
}

/// The table of the running kernel: `kernel` is its metadata, or why it
/// could not be read; `tracefs` where its format files are (None: unread).
pub fn load(kernel: Result<Vec<Entry>, String>, tracefs: Option<&str>, btf: &BtfTypes) -> Table {
    let entries = match kernel {
        Ok(entries) => entries,
        Err(why) => {
            let args = |name: &str| tracefs.and_then(|t| tracefs_args(t, name, btf)).or_else(|| btf.do_sys_args(name));
            return table_with(args, NumberSource::Table(why));
        }
    };
    let args_of = |name: &str| tracefs.and_then(|t| tracefs_args(t, name, btf));
    let mut t = table_with(|_| None, NumberSource::Table(String::new()));
    t.native = entries
        .iter()
        .map(|e| {
            let name = strace_name(&e.name);
            let from_metadata = || Some(e.args.iter().map(|(n, c)| Arg::new(n, c, btf)).collect());
            let args = args_of(name).or_else(from_metadata);
            (e.nr, Syscall { nr: e.nr, name, args, classes: classes_of(name) })
        })
        .collect();
    // A number the kernel keeps no metadata for still has strace's name.
    let mut from_table = 0;
    for &(nr, name, classes) in native_strace_table() {
        if let std::collections::btree_map::Entry::Vacant(v) = t.native.entry(nr) {
            v.insert(Syscall { nr, name, args: args_of(name).or_else(|| btf.do_sys_args(name)), classes });
            from_table += 1;
        }
    }
    t.renamed = entries
        .iter()
        .filter_map(|e| {
            let (_, theirs, _) = native_strace_table().iter().find(|(nr, _, _)| *nr == e.nr)?;
            let ours = t.native.get(&e.nr)?.name;
            (ours != *theirs).then(|| format!("{} is {ours} (strace 6.1: {theirs})", e.nr))
        })
        .collect();
    t.source = NumberSource::Kernel { syscalls: entries.len(), from_table };
    t
}

/// strace's name of a syscall the kernel names `kernel` (without `sys_`),
/// made once per run.
fn strace_name(kernel: &str) -> &'static str {
    let name = ALIASES.iter().find(|(k, _)| *k == kernel).map_or(kernel, |(_, s)| s);
    // arm64 defines some under its own name (SYSCALL_DEFINE1(arm64_personality, ...)).
    let name = if cfg!(target_arch = "aarch64") { name.strip_prefix("arm64_").unwrap_or(name) } else { name };
    match native_strace_table().iter().chain(compat_strace_table()).find(|(_, n, _)| *n == name) {
        Some((_, n, _)) => n,
        None => Box::leak(name.to_string().into_boxed_str()),
    }
}

impl Arg {
    fn new(name: &str, ctype: &str, btf: &BtfTypes) -> Arg {
        Arg { name: name.to_string(), ctype: ctype.to_string(), kind: btf.kind_of(ctype) }
    }
}

/// i386's socketcall(2) subcalls as 32-bit calls of their own (the kernel
/// side reads the subcall's words: bpf/syscall.bpf.c indirect_call):
/// subcall n is number SOCKET_SUBCALL + n (bpf/syscall.h
/// ARGTRACE_SYSCALL_SOCKET_SUBCALL), past i386's last real number.
pub const SOCKET_SUBCALL: u32 = super::NR_MAX - 21;

/// i386's old select (82) whose struct sel_arg_struct was read (its words
/// the arguments: bpf/syscall.bpf.c indirect_call): a 32-bit call of its
/// own, also named select (bpf/syscall.h ARGTRACE_SYSCALL_OLD_SELECT).
pub const OLD_SELECT: u32 = SOCKET_SUBCALL - 1;

/// The 32-bit number of `name` in i386's table (arm's EABI has neither
/// socketcall nor the old select).
fn i386_nr(name: &str) -> Option<u32> {
    compat_strace_table().iter().find(|(_, n, _)| *n == name).map(|(nr, ..)| *nr).filter(|_| cfg!(target_arch = "x86_64"))
}

/// The 32-bit ABI's socketcall: i386's 102.
pub fn socketcall_nr() -> Option<u32> {
    i386_nr("socketcall")
}

/// The 32-bit ABI's old select of one struct pointer: i386's 82.
pub fn old_select_nr() -> Option<u32> {
    i386_nr("select")
}

/// The socketcall subcall a 32-bit call's number stands for, if any.
pub fn socket_subcall(compat_nr: u32) -> Option<u32> {
    let n = compat_nr.checked_sub(SOCKET_SUBCALL)?;
    (socketcall_nr().is_some() && strace_tables::SOCKET_SUBCALLS.iter().any(|(s, ..)| *s == n)).then_some(n)
}

/// The number the task made a 32-bit call under: socketcall's for its
/// subcalls, the old select's for its struct's call; else its own.
pub fn made_as(compat_nr: u32) -> u32 {
    match (socket_subcall(compat_nr), old_select_nr()) {
        (Some(_), _) => socketcall_nr().unwrap_or(compat_nr),
        (None, Some(old)) if compat_nr == OLD_SELECT => old,
        _ => compat_nr,
    }
}

fn table_with(args_of: impl Fn(&str) -> Option<Vec<Arg>>, source: NumberSource) -> Table {
    let subcalls = strace_tables::SOCKET_SUBCALLS.iter().filter(|_| socketcall_nr().is_some());
    let old_select = old_select_nr().and_then(|nr| compat_strace_table().iter().find(|(n, ..)| *n == nr));
    let compat: BTreeMap<u32, Syscall> = compat_strace_table()
        .iter()
        .map(|&(nr, name, classes)| (nr, name, classes))
        .chain(subcalls.map(|&(n, name, _, classes)| (SOCKET_SUBCALL + n, name, classes)))
        .chain(old_select.map(|&(_, name, classes)| (OLD_SELECT, name, classes)))
        .map(|(nr, name, classes)| (nr, Syscall { nr, name, args: None, classes }))
        .collect();
    let native = native_strace_table()
        .iter()
        .map(|&(nr, name, classes)| {
            let args = args_of(name);
            (nr, Syscall { nr, name, args, classes })
        })
        .collect();
    let abi = if cfg!(target_arch = "x86_64") { "i386" } else { "arm" };
    let compat_labels = compat
        .values()
        .map(|s: &Syscall| {
            let via = match s.nr {
                nr if socket_subcall(nr).is_some() => " socketcall",
                OLD_SELECT if old_select_nr().is_some() => " sel_arg_struct",
                _ => "",
            };
            (s.nr, &*Box::leak(format!("{} ({abi}{via})", s.name).into_boxed_str()))
        })
        .collect();
    Table { native, compat, compat_labels, source, renamed: Vec::new() }
}

/// Where tracefs is, for the format files: None where it is not mounted (or
/// ARGTRACE_NO_TRACEFS=1, as on a kernel without it).
pub fn tracefs_root() -> Option<&'static str> {
    if crate::family::pretend_missing("TRACEFS") {
        return None;
    }
    ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]
        .into_iter()
        .find(|root| std::path::Path::new(root).join("events/syscalls").is_dir())
}

/// A syscall's arguments from its tracefs format file under `root`
/// (`field:int dfd;` after the common fields and `__syscall_nr`); None
/// where it has none.
fn tracefs_args(root: &str, name: &str, btf: &BtfTypes) -> Option<Vec<Arg>> {
    let kernel_name = ALIASES.iter().find(|(_, s)| *s == name).map_or(name, |(k, _)| k);
    // arm64 defines some syscalls under its own name (personality is
    // SYSCALL_DEFINE1(arm64_personality, ...)): their event says so.
    let arch_name = format!("arm64_{name}");
    let names = [kernel_name, if cfg!(target_arch = "aarch64") { &arch_name } else { kernel_name }];
    let text =
        names.iter().find_map(|n| std::fs::read_to_string(format!("{root}/events/syscalls/sys_enter_{n}/format")).ok())?;
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

    /// C's own types only (a 32-bit call's definition, compat.rs
    /// COMPAT_DEFINED, is written in them).
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

    /// A syscall's arguments from BTF's `__do_sys_<name>` (the typed body
    /// SYSCALL_DEFINE makes, where the compiler kept it), by strace's name.
    pub fn do_sys_args(&self, name: &str) -> Option<Vec<Arg>> {
        use libbpf_rs::btf::types::{Func, FuncProto};
        use libbpf_rs::btf::ReferencesType as _;
        let btf = self.btf.as_ref()?;
        let kernel_name = ALIASES.iter().find(|(_, s)| *s == name).map_or(name, |(k, _)| k);
        let func: Func = [kernel_name, name].iter().find_map(|n| btf.type_by_name(&format!("__do_sys_{n}")))?;
        let proto = FuncProto::try_from(func.referenced_type()).ok()?;
        let args = proto
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let ctype = btf.type_by_id(p.ty).map_or_else(String::new, |t| c_type(t, 0));
                let name = p.name.map_or_else(|| format!("arg{i}"), |n| n.to_string_lossy().into_owned());
                Arg::new(&name, &ctype, self)
            })
            .collect();
        Some(args)
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

/// A BTF type as C spells it (`const char *`, `struct rlimit64 *`, `pid_t`).
fn c_type(t: libbpf_rs::btf::BtfType<'_>, depth: u8) -> String {
    use libbpf_rs::btf::BtfKind;
    let name = t.name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let inner = || match (depth < 8).then(|| t.next_type()).flatten() {
        Some(next) => c_type(next, depth + 1),
        None => "void".to_string(),
    };
    match t.kind() {
        BtfKind::Void => "void".into(),
        BtfKind::Ptr => format!("{} *", inner()).replace("* *", "**"),
        BtfKind::Const => format!("const {}", inner()),
        BtfKind::Volatile => format!("volatile {}", inner()),
        BtfKind::Struct => format!("struct {name}"),
        BtfKind::Union => format!("union {name}"),
        BtfKind::Enum | BtfKind::Enum64 => format!("enum {name}"),
        BtfKind::FuncProto => "void".into(),
        _ if name.is_empty() => "void".into(),
        _ => name,
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
        for table in [strace_tables::X86_64, strace_tables::AARCH64, strace_tables::I386, strace_tables::ARM] {
            for (nr, name) in [(424, "pidfd_send_signal"), (435, "clone3"), (436, "close_range"), (439, "faccessat2")] {
                assert!(table.iter().any(|r| r.0 == nr && r.1 == name), "{name} is not {nr}");
            }
        }
    }
}
