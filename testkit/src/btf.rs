//! A function's BTF type id, read from a raw BTF blob (the format of
//! /sys/kernel/btf/vmlinux, include/uapi/linux/btf.h): what an fentry or
//! fexit program is loaded with.

use std::io;

/// Where the running kernel's BTF is.
pub const VMLINUX: &str = "/sys/kernel/btf/vmlinux";

/// The BTF type id of the FUNC `name` in `btf`, or None (no such function,
/// or not a BTF blob).
pub fn func_id(btf: &[u8], name: &str) -> Option<u32> {
    let u32_at = |off: usize| -> Option<u32> { Some(u32::from_ne_bytes(btf.get(off..off + 4)?.try_into().ok()?)) };
    if btf.get(0..2)? != 0xeb9fu16.to_ne_bytes() {
        return None;
    }
    let hdr_len = u32_at(4)? as usize;
    let (type_off, type_len) = (u32_at(8)? as usize, u32_at(12)? as usize);
    let str_off = u32_at(16)? as usize;
    let strings = btf.get(hdr_len + str_off..)?;
    let name_at = |off: usize| -> &[u8] {
        let s = strings.get(off..).unwrap_or_default();
        &s[..s.iter().position(|b| *b == 0).unwrap_or(s.len())]
    };
    let mut pos = hdr_len + type_off;
    let end = pos + type_len;
    let mut id = 1u32;
    while pos + 12 <= end {
        let name_off = u32_at(pos)? as usize;
        let info = u32_at(pos + 4)?;
        let vlen = (info & 0xffff) as usize;
        let kind = (info >> 24) & 0x1f;
        const BTF_KIND_FUNC: u32 = 12;
        if kind == BTF_KIND_FUNC && name_at(name_off) == name.as_bytes() {
            return Some(id);
        }
        // Each kind's trailing data after the 12-byte struct btf_type.
        let extra = match kind {
            1 => 4,             // INT
            3 => 12,            // ARRAY
            4 | 5 => 12 * vlen, // STRUCT, UNION: btf_member
            6 => 8 * vlen,      // ENUM: btf_enum
            13 => 8 * vlen,     // FUNC_PROTO: btf_param
            14 => 4,            // VAR
            15 => 12 * vlen,    // DATASEC: btf_var_secinfo
            17 => 4,            // DECL_TAG
            19 => 12 * vlen,    // ENUM64
            _ => 0,             // PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FLOAT, TYPE_TAG
        };
        pos += 12 + extra;
        id += 1;
    }
    None
}

/// The BTF type id of the function `name` in the running kernel.
pub fn vmlinux_func_id(name: &str) -> io::Result<u32> {
    let btf = std::fs::read(VMLINUX)?;
    func_id(&btf, name).ok_or_else(|| io::Error::other(format!("no BTF function {name} in vmlinux")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_functions_in_the_running_kernels_btf() {
        let Ok(btf) = std::fs::read(super::VMLINUX) else {
            return;
        };
        // The functions argtrace's mmap and tcp-connect hook in fentry and kprobe modes.
        assert!(super::func_id(&btf, "ksys_mmap_pgoff").is_some());
        assert!(super::func_id(&btf, "tcp_connect").is_some());
        assert!(super::func_id(&btf, "no_such_function_in_any_kernel").is_none());
        assert!(super::func_id(b"not BTF at all", "tcp_connect").is_none());
    }
}
