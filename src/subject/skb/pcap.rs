//! The classic pcap file format, written by hand: a 24-byte global header,
//! then per packet a 16-byte record header and the captured bytes
//! (https://www.tcpdump.org/manpages/pcap-savefile.5.html). Nanosecond
//! timestamps (magic 0xa1b23c4d), link type LINKTYPE_RAW (101): each packet
//! starts at its IPv4 or IPv6 header, which is what argtrace captures. Forty
//! bytes of headers do not call for a crate.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::path::Path;
use std::time::{Duration, Instant};

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

/// The pcap being written. Records are buffered and written whole, at least
/// every FLUSH_EVERY, so that a failed write (a full disk, /dev/full) ends
/// the run at once, and the file is cut back to its last whole record: it
/// holds exactly the `packets` said, and tcpdump reads it to the end.
pub struct PcapOut {
    /// As messages name it: the path, or "standard output" for `-`.
    pub(super) shown: String,
    pub(super) file: File,
    pub(super) to_stdout: bool,
    pub(super) buf: Vec<u8>,
    /// Where each buffered record ends in `buf`.
    pub(super) ends: Vec<usize>,
    /// Bytes and whole packets the file holds (the header included in bytes).
    pub(super) bytes: u64,
    pub(super) packets: u64,
    pub(super) last_flush: Instant,
    pub(super) error: Option<io::Error>,
    /// Buffered packets a failed write lost.
    pub(super) unwritten: u64,
}

/// A pcap is written at least this often, and whenever this much is buffered.
const FLUSH_EVERY: Duration = Duration::from_millis(100);
const FLUSH_BYTES: usize = 256 * 1024;

impl PcapOut {
    /// Creates the file (as --output is created; `-` is standard output) and
    /// writes its header.
    pub fn create(path: &Path, snaplen: u32) -> Result<PcapOut> {
        let to_stdout = sys::is_stdout(path);
        let (shown, mut file) = if to_stdout {
            let fd = io::stdout().as_fd().try_clone_to_owned();
            let fd = fd.map_err(|e| Error::Output(format!("cannot write standard output: {}", sys::io_reason(&e))))?;
            ("standard output".to_string(), File::from(fd))
        } else {
            (path.display().to_string(), crate::private_file::create(path)?)
        };
        let mut header = Vec::new();
        let _ = write_header(&mut header, snaplen);
        file.write_all(&header).map_err(|e| Error::Output(format!("cannot write {shown}: {}", sys::io_reason(&e))))?;
        Ok(PcapOut::over(shown, file, to_stdout, header.len() as u64))
    }

    /// A writer on `file`, which holds `bytes` already (the header).
    pub(super) fn over(shown: String, file: File, to_stdout: bool, bytes: u64) -> PcapOut {
        PcapOut {
            shown,
            file,
            to_stdout,
            buf: Vec::with_capacity(FLUSH_BYTES + 64 * 1024),
            ends: Vec::new(),
            bytes,
            packets: 0,
            last_flush: Instant::now(),
            error: None,
            unwritten: 0,
        }
    }

    /// Buffers one packet, unless an earlier write failed; writes the buffer
    /// when it is full or old. Whether the file is still good.
    pub fn packet(&mut self, realtime_ns: i128, captured: &[u8], orig_len: u32) -> bool {
        if self.error.is_some() {
            return false;
        }
        // Into a Vec: cannot fail.
        let _ = write_packet(&mut self.buf, realtime_ns, captured, orig_len);
        self.ends.push(self.buf.len());
        if self.buf.len() >= FLUSH_BYTES || self.last_flush.elapsed() >= FLUSH_EVERY {
            self.flush();
        }
        self.error.is_none()
    }

    /// Writes what is buffered; after a failure the file ends on the last
    /// whole record written (a pipe cannot be cut back: nothing reads it then).
    fn flush(&mut self) {
        self.last_flush = Instant::now();
        if self.error.is_some() || self.buf.is_empty() {
            return;
        }
        let mut done = 0;
        while done < self.buf.len() {
            match self.file.write(&self.buf[done..]) {
                Ok(0) => {
                    self.error = Some(io::ErrorKind::WriteZero.into());
                    break;
                }
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.error = Some(e);
                    break;
                }
            }
        }
        let whole = self.ends.iter().take_while(|end| **end <= done).count();
        let kept = if whole == 0 { 0 } else { self.ends[whole - 1] };
        if done > kept && !self.to_stdout {
            let _ = self.file.set_len(self.bytes + kept as u64);
        }
        self.bytes += kept as u64;
        self.packets += whole as u64;
        self.unwritten += (self.ends.len() - whole) as u64;
        self.buf.clear();
        self.ends.clear();
    }

    /// A reader of standard output that went away (`| tshark -c 10`): an
    /// ending like a closed pipe for lines, not a failure.
    fn reader_gone(&self) -> bool {
        self.to_stdout && self.error.as_ref().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    }

    /// Writes what is left at the run's end and says what the file lacks;
    /// the error is an output error.
    pub fn finish(&mut self, lost: u64) -> std::result::Result<(), String> {
        self.flush();
        let shown = &self.shown;
        if self.reader_gone() {
            return Ok(());
        }
        if let Some(e) = &self.error {
            let lost = match self.unwritten {
                0 => String::new(),
                n => format!(", and the {n} after them were not written"),
            };
            return Err(format!(
                "writing {shown} failed: {}; it holds the first {} packets, whole{lost}",
                sys::io_reason(e),
                self.packets
            ));
        }
        if lost > 0 {
            crate::say!(
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
