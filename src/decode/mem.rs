//! Memory tables, as strace prints them: mmap's and mprotect's `prot`
//! (src/xlat/mmap_prot.in) and mmap's flags (src/mem.c print_mmap_flags(),
//! src/xlat/mmap_flags.in).

use super::{print_flags, print_xval, Xlat};

// ----------------------------------------------------------------- mmap ---

/// src/xlat/mmap_prot.in.  PROT_SAO (powerpc) and PROT_ADI (sparc) do not
/// exist here, and strace's table has no PROT_BTI/PROT_MTE, so on arm64
/// those bits print as hex too (`PROT_READ|PROT_EXEC|0x10`).
const MMAP_PROT: Xlat = &[
    (0x0, "PROT_NONE"),
    (0x1, "PROT_READ"),
    (0x2, "PROT_WRITE"),
    (0x4, "PROT_EXEC"),
    (0x8, "PROT_SEM"),
    (0x0100_0000, "PROT_GROWSDOWN"),
    (0x0200_0000, "PROT_GROWSUP"),
];

/// mmap/mprotect/pkey_mprotect's `prot`: printflags64(mmap_prot, "PROT_???").
/// `PROT_NONE` for 0; all 64 bits are kept.
pub fn prot(prot: u64) -> String {
    print_flags(prot, &[MMAP_PROT], Some("PROT_???"))
}

/// src/xlat/mmap_flags.in with the x86_64/aarch64 values, in its order
/// (which is not numeric: MAP_GROWSDOWN comes after MAP_NONBLOCK, MAP_FILE
/// sits in the middle, MAP_FIXED_NOREPLACE last).  The same table serves
/// for the map type (low 4 bits) and for the remaining flags.
const MMAP_FLAGS: Xlat = &[
    (0x01, "MAP_SHARED"),
    (0x02, "MAP_PRIVATE"),
    (0x03, "MAP_SHARED_VALIDATE"),
    (0x08, "MAP_DROPPABLE"),
    (0x10, "MAP_FIXED"),
    (0x20, "MAP_ANONYMOUS"),
    #[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
    (0x40, "MAP_32BIT"),
    #[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
    (0x80, "MAP_ABOVE4G"),
    (0x4000, "MAP_NORESERVE"),
    (0x8000, "MAP_POPULATE"),
    (0x1_0000, "MAP_NONBLOCK"),
    (0x100, "MAP_GROWSDOWN"),
    (0x800, "MAP_DENYWRITE"),
    (0x1000, "MAP_EXECUTABLE"),
    (0x0, "MAP_FILE"),
    (0x2000, "MAP_LOCKED"),
    (0x2_0000, "MAP_STACK"),
    (0x4_0000, "MAP_HUGETLB"),
    (0x8_0000, "MAP_SYNC"),
    // Bit 26 is also the lowest MAP_HUGE_* bit, which is taken out first,
    // so strace never actually prints this name.
    (0x400_0000, "MAP_UNINITIALIZED"),
    (0x10_0000, "MAP_FIXED_NOREPLACE"),
];

const MAP_TYPE: u64 = 0x0f;
const MAP_HUGE_SHIFT: u32 = 26;
const MAP_HUGE_MASK: u32 = 0x3f;

/// mmap's `flags` as strace's print_mmap_flags() prints them:
/// the map type (`MAP_SHARED`, `MAP_PRIVATE`, `MAP_SHARED_VALIDATE`,
/// `MAP_DROPPABLE`, `MAP_FILE` for 0, else `0x4 /* MAP_??? */`), then the
/// other MAP_* names in table order with any unknown bits as `|0x...`,
/// then the huge page size as `|21<<MAP_HUGE_SHIFT`.
///
/// strace clears the huge-page bits with a 32-bit mask, which also drops
/// bits 32..63 of the value; they never appear in its output, so they do
/// not appear here either.
pub fn mmap_flags(flags: u64) -> String {
    let mut out = print_xval(flags & MAP_TYPE, MMAP_FLAGS, "MAP_???");
    let mask = MAP_HUGE_MASK << MAP_HUGE_SHIFT;
    let huge = flags as u32 & mask;
    // `flags &= ~mask` in C with an unsigned int mask: zero-extended.
    let rest = flags & !MAP_TYPE & u64::from(!mask);
    if rest != 0 {
        out.push('|');
        out.push_str(&print_flags(rest, &[MMAP_FLAGS], None));
    }
    if huge != 0 {
        out.push_str(&format!("|{}<<MAP_HUGE_SHIFT", huge >> MAP_HUGE_SHIFT));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{print_flags, process::CLONE_FLAGS};

    // ---- prot (src/mem.c printflags64(mmap_prot, ...), tests/mmap.c) ----

    #[test]
    fn prot_known() {
        assert_eq!(prot(1), "PROT_READ");
        assert_eq!(prot(3), "PROT_READ|PROT_WRITE");
        assert_eq!(prot(5), "PROT_READ|PROT_EXEC");
        assert_eq!(prot(7), "PROT_READ|PROT_WRITE|PROT_EXEC");
        assert_eq!(prot(8), "PROT_SEM");
        assert_eq!(prot(0x0100_0000), "PROT_GROWSDOWN");
        assert_eq!(prot(0x0300_0007), "PROT_READ|PROT_WRITE|PROT_EXEC|PROT_GROWSDOWN|PROT_GROWSUP");
    }

    #[test]
    fn prot_zero() {
        assert_eq!(prot(0), "PROT_NONE");
    }

    #[test]
    fn prot_unknown_bits() {
        assert_eq!(prot(0x8000_0001), "PROT_READ|0x80000000");
        assert_eq!(prot(0x8000_0000), "0x80000000 /* PROT_??? */");
        assert_eq!(prot(0x40), "0x40 /* PROT_??? */");
        // prot is kept 64-bit.
        assert_eq!(prot(0x1_0000_0001), "PROT_READ|0x100000000");
    }

    #[test]
    fn prot_arm64_bits_are_unnamed() {
        // PROT_BTI (0x10) and PROT_MTE (0x20) are not in strace's
        // mmap_prot table on any arch, arm64 included.
        assert_eq!(prot(0x15), "PROT_READ|PROT_EXEC|0x10");
        assert_eq!(prot(0x10), "0x10 /* PROT_??? */");
        assert_eq!(prot(0x30), "0x30 /* PROT_??? */");
    }

    // ---- mmap flags (src/mem.c print_mmap_flags(), tests/mmap.c) ----

    #[test]
    fn mmap_flags_common() {
        assert_eq!(mmap_flags(0x22), "MAP_PRIVATE|MAP_ANONYMOUS");
        assert_eq!(mmap_flags(0x812), "MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE");
        assert_eq!(mmap_flags(0x32), "MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS");
        assert_eq!(mmap_flags(0x1), "MAP_SHARED");
        assert_eq!(mmap_flags(0x8_0003), "MAP_SHARED_VALIDATE|MAP_SYNC");
        assert_eq!(mmap_flags(0x2_0122), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_GROWSDOWN|MAP_STACK");
        assert_eq!(mmap_flags(0x1022), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_EXECUTABLE");
    }

    #[test]
    fn mmap_flags_table_order_not_bit_order() {
        // MAP_NORESERVE/MAP_POPULATE/MAP_NONBLOCK precede MAP_GROWSDOWN,
        // MAP_FIXED_NOREPLACE comes last although lower than MAP_UNINITIALIZED.
        assert_eq!(
            mmap_flags(0x1_c122),
            "MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE|MAP_POPULATE|MAP_NONBLOCK|MAP_GROWSDOWN"
        );
        assert_eq!(mmap_flags(0x10_2022), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_LOCKED|MAP_FIXED_NOREPLACE");
    }

    #[test]
    fn mmap_flags_map_type() {
        // A zero map type is MAP_FILE (tests/mmap.c: "PROT_NONE, MAP_FILE").
        assert_eq!(mmap_flags(0), "MAP_FILE");
        assert_eq!(mmap_flags(0x10_0000), "MAP_FILE|MAP_FIXED_NOREPLACE");
        assert_eq!(mmap_flags(0x800), "MAP_FILE|MAP_DENYWRITE");
        assert_eq!(mmap_flags(0x3), "MAP_SHARED_VALIDATE");
        assert_eq!(mmap_flags(0x8), "MAP_DROPPABLE");
        assert_eq!(mmap_flags(0x28), "MAP_DROPPABLE|MAP_ANONYMOUS");
        assert_eq!(mmap_flags(0x4), "0x4 /* MAP_??? */");
        assert_eq!(mmap_flags(0xb), "0xb /* MAP_??? */");
        assert_eq!(mmap_flags(0xf), "0xf /* MAP_??? */");
        assert_eq!(mmap_flags(0x24), "0x4 /* MAP_??? */|MAP_ANONYMOUS");
    }

    #[test]
    fn mmap_flags_huge_page_size() {
        // MAP_HUGETLB with MAP_HUGE_2MB (21 << 26).
        assert_eq!(mmap_flags(0x4_0022 | (21 << 26)), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|21<<MAP_HUGE_SHIFT");
        assert_eq!(mmap_flags(0x22 | (30 << 26)), "MAP_PRIVATE|MAP_ANONYMOUS|30<<MAP_HUGE_SHIFT");
        // Bit 26 is read as a huge page size, never as MAP_UNINITIALIZED.
        assert_eq!(mmap_flags(0x400_0022), "MAP_PRIVATE|MAP_ANONYMOUS|1<<MAP_HUGE_SHIFT");
        assert_eq!(mmap_flags(0xfc00_0000), "MAP_FILE|63<<MAP_HUGE_SHIFT");
    }

    #[test]
    fn mmap_flags_unknown_bits() {
        assert_eq!(mmap_flags(0x202), "MAP_PRIVATE|0x200");
        assert_eq!(mmap_flags(0x200), "MAP_FILE|0x200");
        assert_eq!(mmap_flags(0x222), "MAP_PRIVATE|MAP_ANONYMOUS|0x200");
    }

    #[test]
    fn mmap_flags_high_half_is_dropped() {
        // strace's 32-bit MAP_HUGE mask clears bits 32..63 too.
        assert_eq!(mmap_flags(0x1_0000_0002), "MAP_PRIVATE");
        assert_eq!(mmap_flags(0xffff_ffff_0000_0002), "MAP_PRIVATE");
        assert_eq!(mmap_flags(0x1_0000_0000), "MAP_FILE");
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn mmap_flags_x86_64_only_bits() {
        assert_eq!(mmap_flags(0x62), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_32BIT");
        assert_eq!(mmap_flags(0xe2), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_32BIT|MAP_ABOVE4G");
        assert_eq!(mmap_flags(0x40), "MAP_FILE|MAP_32BIT");
    }

    #[cfg(target_arch = "aarch64")]
    #[test]
    fn mmap_flags_aarch64_has_no_32bit() {
        assert_eq!(mmap_flags(0x62), "MAP_PRIVATE|MAP_ANONYMOUS|0x40");
        assert_eq!(mmap_flags(0xe2), "MAP_PRIVATE|MAP_ANONYMOUS|0xc0");
        assert_eq!(mmap_flags(0x40), "MAP_FILE|0x40");
    }

    // ---- the shared flag printer ----

    #[test]
    fn print_flags_zero_without_default_prints_nothing() {
        assert_eq!(print_flags(0, &[CLONE_FLAGS], None), "");
        assert_eq!(print_flags(0x200, &[MMAP_FLAGS], None), "0x200");
    }
}
