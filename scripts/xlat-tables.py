#!/usr/bin/env python3
"""Writes src/decode/xlat_data.rs from strace 6.1's xlat tables (Debian's
`apt-get source strace`, 6.1-0.1: src/xlat/<table>.in). Data, not code: each
table's names in strace's order with their values for x86_64 and aarch64.

strace's own generator (src/xlat/gen.sh) takes a value from the C headers
where they define the name and from the .in file otherwise; this script does
the same: for each table and architecture it compiles one small C file with
that architecture's compiler (gcc, aarch64-linux-gnu-gcc) against the C
library's and the kernel's headers, the .in's values as fallbacks, the .in's
`#if` lines kept, and reads the values back from the assembly (`-S`), so that
nothing is run for the foreign architecture. Names neither the headers nor the
.in define are left out, as strace leaves them out, and listed in a comment.

    scripts/xlat-tables.py ~/.cache/argtrace/strace-6.1-0.1/src/xlat > src/decode/xlat_data.rs
"""
import os, re, subprocess, sys, tempfile

XLAT = sys.argv[1]

# The tables issue 19's decoders print with, and the headers their names live in.
TABLES = """
open_access_modes open_mode_flags at_flags open_resolve_flags close_range_flags
faccessat_flags whence_codes fcntlcmds fdflags f_seals f_owner_types access_modes modetypes
statx_masks statx_attrs at_statx_sync_types fsmagic statfs_flags dirent_types
rename_flags flockcmds epollflags epollctls epollevents pollflags wait4_options
waitid_types prctl_options pr_set_mm archvals resources madvise_cmds
mremap_flags socktypes sock_type_flags inet_protocols socketlayers sock_options
sock_ip_options sock_ipv6_options sock_tcp_options shutdown_modes msg_flags
sigact_flags sigprocmaskcmds sigaltstack_flags futexops futexwakeops
futexwakecmps clocknames getrandom_flags splice_flags
sigev_value timerfdflags efd_flags clockflags
term_iflags term_oflags term_oflags_nldly term_oflags_crdly term_oflags_tabdly term_oflags_bsdly
term_oflags_vtdly term_oflags_ffdly term_cflags term_cflags_csize term_lflags baud_options
cap pr_dumpable pr_tsc pr_unalign_flags secbits pr_mce_kill pr_mce_kill_policy pr_cap_ambient seccomp_mode
lockfcmds notifyflags scmvals ip_cmsg_types
falloc_flags advise sync_file_range_flags socketcalls
""".split()

HEADERS = """
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <linux/futex.h>
#include <time.h>
#include <sys/random.h>
#include <sys/file.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <linux/magic.h>
#include <dirent.h>
#include <sys/statvfs.h>
#include <linux/openat2.h>
#include <linux/close_range.h>
#include <termios.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <linux/seccomp.h>
#include <linux/falloc.h>
#include <linux/net.h>
#if defined __x86_64__
#include <asm/prctl.h>
#endif
/* What strace takes from the kernel's headers where the C library's hide it
 * (they clash with glibc's, so the values are written here, as the kernel's
 * uapi headers give them for x86_64 and arm64): asm/signal.h's SA_RESTORER
 * (strace's configure: ASM_SA_RESTORER), asm-generic/fcntl.h's __O_SYNC and
 * F_GETOWNER_UIDS, linux/fcntl.h's F_CANCELLK. */
#ifndef SA_RESTORER
# define SA_RESTORER 0x04000000
#endif
#ifndef __O_SYNC
# define __O_SYNC 04000000
#endif
#ifndef F_GETOWNER_UIDS
# define F_GETOWNER_UIDS 17
#endif
#ifndef F_CANCELLK
# define F_CANCELLK (F_LINUX_SPECIFIC_BASE + 5)
#endif
/* ip_cmsg_types names SCM_SECURITY without a value: strace's msghdr.c
 * includes xlat/scmvals.h first, whose fallback (3) defines it. */
#ifndef SCM_SECURITY
# define SCM_SECURITY 3
#endif
"""

COMPILERS = {"x86_64": "gcc", "aarch64": "aarch64-linux-gnu-gcc"}
# strace's include path (src/Makefile.am's bundled_CPPFLAGS): its bundled
# copy of the kernel's uapi headers before the system's (x86 has no bundled
# arch directory: the system's linux-libc-dev gives asm/).
BUNDLED = {"x86_64": [], "aarch64": ["arch/arm64/include/uapi"]}

# Tables whose names strace takes from the kernel's asm/fcntl.h rather than
# the C library's (src/open.c, src/fcntl.c and src/file.c include
# src/kernel_fcntl.h, which undefines glibc's O_*, F_*, LOCK_* first).
# strace's fcntl.c defines F_GETLK64, F_SETLK64 and F_SETLKW64 (12, 13, 14
# off mips) after src/kernel_fcntl.h and before xlat/fcntlcmds.h: the kernel's
# uapi leaves them out of 64-bit builds since v5.19.
FCNTL_C = """
#ifndef F_GETLK64
# define F_GETLK64 12
# define F_SETLK64 13
# define F_SETLKW64 14
#endif
"""
KERNEL_FCNTL = {"open_access_modes", "open_mode_flags", "fcntlcmds", "fdflags", "f_owner_types", "flockcmds", "lockfcmds", "notifyflags"}


def parse_in(path):
    """The .in file's lines: ('if', text) for preprocessor lines, ('entry',
    name, value or None); its directives (#unconditional ...) as a set."""
    lines, flags = [], set()
    text = re.sub(r"/\*.*?\*/", "", open(path).read(), flags=re.S)
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if re.match(r"#\s*(if|ifdef|ifndef|elif|else|endif)\b", line):
            lines.append(("if", line))
        elif line.startswith("#"):
            flags.add(line.split()[0][1:])
        else:
            parts = line.split(None, 1)
            # A name may be an or of names (futexops.in: `FUTEX_WAIT|FUTEX_CLOCK_REALTIME`,
            # whose value is that expression).
            if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*(\|[A-Za-z_][A-Za-z0-9_]*)*$", parts[0]):
                continue
            lines.append(("entry", parts[0], parts[1].strip() if len(parts) > 1 else None))
    return lines, flags


def c_source(table, lines, dropped):
    out = [HEADERS]
    if table in KERNEL_FCNTL:
        out.append('#include "kernel_fcntl.h"')
    if table == "fcntlcmds":
        out.append(FCNTL_C)
    for i, item in enumerate(lines):
        if item[0] == "if":
            out.append(item[1])
            continue
        _, name, value = item
        if name in dropped:
            continue
        if value is not None:
            out.append(f"#ifndef {name}\n# define {name} ({value})\n#endif")
        out.append(f"const unsigned long long xv_{i} = (unsigned long long)({name});")
    return "\n".join(out) + "\n"


def values(table, lines, arch):
    """{index: value} of the table's entries on `arch`, and the names left out."""
    dropped = set()
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "t.c")
        for _ in range(200):
            open(src, "w").write(c_source(table, lines, dropped))
            root = os.path.join(XLAT, "..", "..")
            incs = [f"-I{root}/bundled/linux/{b}" for b in BUNDLED[arch]] + [f"-I{root}/bundled/linux/include/uapi"]
            cmd = [COMPILERS[arch], "-S", "-O0", "-w", f"-iquote{root}/src", *incs, "-o", "-", src]
            p = subprocess.run(cmd, capture_output=True, text=True,
                               env=dict(os.environ, LC_ALL="C"))
            if p.returncode == 0:
                break
            bad = set(re.findall(r"'([A-Za-z_][A-Za-z0-9_]*)' undeclared", p.stderr))
            if not bad:
                sys.exit(f"{table} ({arch}): {p.stderr[:2000]}")
            dropped |= bad
        got, label = {}, None
        for line in p.stdout.splitlines():
            m = re.match(r"^xv_(\d+):", line)
            if m:
                label = int(m.group(1))
                continue
            m = re.match(r"^\s*\.(quad|xword|8byte)\s+(-?\d+)", line)
            if m and label is not None:
                got[label] = int(m.group(2)) & 0xFFFFFFFFFFFFFFFF
                label = None
            elif label is not None and re.match(r"^\s*\.zero\s+8", line):
                got[label] = 0
                label = None
    return got, dropped


def rust_name(table):
    return table.upper()


def main():
    print("// @generated by scripts/xlat-tables.py from strace 6.1 (Debian 6.1-0.1), src/xlat/<table>.in,")
    print("// with each name's value from the C library's and the kernel's headers of the architecture")
    print("// (as strace's src/xlat/gen.sh takes them), the .in's value where the headers lack the name.")
    print("// Do not edit: run the script. Each table keeps strace's order (printflags and printxval scan it in order).")
    print("#![allow(dead_code)]")
    print()
    print("use super::Xlat;")
    for table in TABLES:
        path = os.path.join(XLAT, table + ".in")
        if not os.path.exists(path):
            sys.exit(f"no table {path}")
        lines, flags = parse_in(path)
        per_arch = {arch: values(table, lines, arch) for arch in COMPILERS}
        names = {i: item[1] for i, item in enumerate(lines) if item[0] == "entry"}
        rows = {}
        for arch, (got, _) in per_arch.items():
            rows[arch] = [(got[i], names[i]) for i in sorted(got)]
        left = sorted(set().union(*(d for _, d in per_arch.values())))
        print()
        print(f"/// strace's src/xlat/{table}.in" + (f" ({', '.join('#' + f for f in sorted(flags))})" if flags else "") + ".")
        if left:
            print(f"/// Left out (no header or .in value): {', '.join(left)}.")
        if rows["x86_64"] == rows["aarch64"]:
            emit(rust_name(table), rows["x86_64"], None)
        else:
            emit(rust_name(table), rows["x86_64"], "x86_64")
            emit(rust_name(table), rows["aarch64"], "aarch64")


def emit(name, rows, arch):
    if arch:
        print(f'#[cfg(target_arch = "{arch}")]')
    print(f"pub(crate) const {name}: Xlat = &[")
    for v, n in rows:
        print(f'    ({v:#x}, "{n}"),')
    print("];")


def formatted(text):
    """The text as `cargo fmt` leaves it (the repository's rustfmt.toml)."""
    conf = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rustfmt.toml")
    p = subprocess.run(["rustfmt", "--edition", "2021", "--config-path", conf, "--emit", "stdout"],
                       input=text, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(p.stderr)
    return p.stdout


if __name__ == "__main__":
    import contextlib, io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        main()
    sys.stdout.write(formatted(buf.getvalue()))
