//! The classic pcap file format, written by hand: a 24-byte global header,
//! then per packet a 16-byte record header and the captured bytes
//! (https://www.tcpdump.org/manpages/pcap-savefile.5.html). Nanosecond
//! timestamps (magic 0xa1b23c4d), link type LINKTYPE_RAW (101): each packet
//! starts at its IPv4 or IPv6 header, which is what argtrace captures. Forty
//! bytes of headers do not call for a crate.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::sys;

/// Nanosecond-resolution pcap, in the writer's byte order.
pub const MAGIC_NANOS: u32 = 0xa1b2_3c4d;
/// LINKTYPE_RAW: raw IPv4 or IPv6, told apart by the version nibble.
pub const LINKTYPE_RAW: u32 = 101;
/// The largest snapshot length argtrace captures, tcpdump's default: a
/// packet at the cgroup_skb hooks can be a GSO super-packet larger than an IP
/// packet's 64 KiB (BIG TCP: loopback sends up to 128 KiB here).
pub const MAX_SNAPLEN: u32 = 262_144;

/// Writes the global header.
pub fn write_header(out: &mut impl Write, snaplen: u32) -> io::Result<()> {
    let mut h = [0u8; 24];
    h[0..4].copy_from_slice(&MAGIC_NANOS.to_ne_bytes());
    h[4..6].copy_from_slice(&2u16.to_ne_bytes()); // version 2.4
    h[6..8].copy_from_slice(&4u16.to_ne_bytes());
    // thiszone and sigfigs: 0
    h[16..20].copy_from_slice(&snaplen.to_ne_bytes());
    h[20..24].copy_from_slice(&LINKTYPE_RAW.to_ne_bytes());
    out.write_all(&h)
}

/// Writes one packet: `realtime_ns` since the epoch, the bytes captured and
/// the packet's whole length.
pub fn write_packet(out: &mut impl Write, realtime_ns: i128, captured: &[u8], orig_len: u32) -> io::Result<()> {
    let secs = realtime_ns.div_euclid(1_000_000_000).clamp(0, u32::MAX as i128) as u32;
    let nanos = realtime_ns.rem_euclid(1_000_000_000) as u32;
    let mut h = [0u8; 16];
    h[0..4].copy_from_slice(&secs.to_ne_bytes());
    h[4..8].copy_from_slice(&nanos.to_ne_bytes());
    h[8..12].copy_from_slice(&(captured.len() as u32).to_ne_bytes());
    h[12..16].copy_from_slice(&orig_len.max(captured.len() as u32).to_ne_bytes());
    out.write_all(&h)?;
    out.write_all(captured)
}

/// skb's --pcap file while it is written: the first error is kept, and
/// said once the run ends.
pub struct PcapOut {
    pub(super) path: PathBuf,
    pub(super) out: BufWriter<File>,
    pub(super) error: Option<io::Error>,
}

impl PcapOut {
    /// Creates the file (as --output is created) and writes its header.
    pub fn create(path: &Path, snaplen: u32) -> Result<PcapOut> {
        let file = crate::private_file::create(path)?;
        let mut out = BufWriter::with_capacity(256 * 1024, file);
        write_header(&mut out, snaplen)
            .map_err(|e| Error::Output(format!("cannot write {}: {}", path.display(), sys::io_reason(&e))))?;
        Ok(PcapOut { path: path.to_path_buf(), out, error: None })
    }

    /// Writes one packet, unless an earlier write failed.
    pub fn packet(&mut self, realtime_ns: i128, captured: &[u8], orig_len: u32) {
        if self.error.is_none() {
            if let Err(e) = write_packet(&mut self.out, realtime_ns, captured, orig_len) {
                self.error = Some(e);
            }
        }
    }

    /// Flushes the file at the run's end and says what it lacks; the error
    /// is an output error.
    pub fn finish(&mut self, lost: u64) -> std::result::Result<(), String> {
        let flushed = self.out.flush();
        let shown = self.path.display();
        if let Some(e) = self.error.take().or(flushed.err()) {
            return Err(format!("writing {shown} failed: {}", sys::io_reason(&e)));
        }
        if lost > 0 {
            eprintln!(
                "argtrace: {shown} lacks {lost} packets: the ring buffer was full (a larger --ringbuf-size helps)"
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_24_and_16_bytes_in_native_order() {
        let mut out = Vec::new();
        write_header(&mut out, 96).unwrap();
        write_packet(&mut out, 1_700_000_000_123_456_789, &[0x45, 0, 0, 20], 60).unwrap();
        assert_eq!(out.len(), 24 + 16 + 4);
        let word = |i: usize| u32::from_ne_bytes(out[i..i + 4].try_into().unwrap());
        assert_eq!(word(0), 0xa1b2_3c4d);
        assert_eq!(u16::from_ne_bytes([out[4], out[5]]), 2);
        assert_eq!(u16::from_ne_bytes([out[6], out[7]]), 4);
        assert_eq!((word(8), word(12), word(16), word(20)), (0, 0, 96, 101));
        assert_eq!((word(24), word(28), word(32), word(36)), (1_700_000_000, 123_456_789, 4, 60));
        assert_eq!(&out[40..], &[0x45, 0, 0, 20]);
    }
}
