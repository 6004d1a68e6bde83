//! The files argtrace writes hold what other processes did and sent (payload
//! bytes with --peek and --pcap: cookies, tokens, queries), so every file it
//! creates is private: mode 0600 whatever the umask, as Wireshark's dumpcap
//! makes its captures. An existing file is truncated, and keeps its owner and
//! mode; argtrace says once when that mode lets others read it. Every place
//! that opens an output file (-o, --pcap, any later one) goes through
//! `create`.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use crate::error::{Error, Result};
use crate::sys::io_reason;

/// The mode of every file argtrace creates.
pub const MODE: u32 = 0o600;

/// Opens `path` for writing, truncated: created 0600 (then set to exactly
/// 0600, since the umask may have taken bits away), or, when it exists,
/// truncated with its owner and mode kept, and a warning if its mode lets
/// anyone but its owner read it. A FIFO or socket is refused: opening a FIFO
/// blocks until a reader comes, which would hang the start-up and ignore
/// --duration.
pub fn create(path: &Path) -> Result<File> {
    let shown = path.display();
    let cannot = |e: std::io::Error| Error::Output(format!("cannot write {shown}: {}", io_reason(&e)));
    if let Ok(meta) = std::fs::metadata(path) {
        let t = meta.file_type();
        if t.is_fifo() || t.is_socket() {
            return Err(Error::Output(format!(
                "cannot write {shown}: it is a {}, which argtrace does not open (for standard output give -: \
                 argtrace ... - | cmd)",
                if t.is_fifo() { "FIFO" } else { "socket" }
            )));
        }
    }
    // O_EXCL tells a file made now from one that was there: only a new file
    // is argtrace's to give a mode.
    match OpenOptions::new().write(true).create_new(true).mode(MODE).open(path) {
        Ok(file) => {
            file.set_permissions(std::fs::Permissions::from_mode(MODE)).map_err(cannot)?;
            Ok(file)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            // O_CREAT as well: the file may have gone in between, or be a
            // dangling symbolic link; what is created then is 0600 at most.
            let file =
                OpenOptions::new().write(true).create(true).truncate(true).mode(MODE).open(path).map_err(cannot)?;
            if let Ok(meta) = file.metadata() {
                let mode = meta.permissions().mode() & 0o7777;
                if meta.file_type().is_file() && mode & 0o044 != 0 {
                    let _ = writeln!(
                        std::io::stderr(),
                        "argtrace: {shown} already exists with mode {mode:04o}, so others may read what argtrace \
                         writes into it; its mode and owner are kept (chmod 600 it, or remove it first)"
                    );
                }
            }
            Ok(file)
        }
        Err(e) => Err(cannot(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn scratch(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("argtrace-private-{}-{name}", std::process::id()))
    }

    #[test]
    fn a_new_file_is_0600_whatever_the_umask() {
        for umask in [0o000, 0o077] {
            let path = scratch(&format!("umask{umask:o}"));
            let _ = std::fs::remove_file(&path);
            // SAFETY: umask(2) only sets this process's mask; files other
            // tests of this binary create meanwhile get 0666 or 0600, which
            // root reads and writes alike.
            let old = unsafe { libc::umask(umask) };
            let made = create(&path);
            // SAFETY: as above.
            unsafe { libc::umask(old) };
            made.expect("create");
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
            let _ = std::fs::remove_file(&path);
            assert_eq!(mode, 0o600, "umask {umask:03o}");
        }
    }

    #[test]
    fn an_existing_file_keeps_its_mode_and_is_truncated() {
        let path = scratch("existing");
        std::fs::write(&path, b"old contents").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let mut file = create(&path).expect("open");
        file.write_all(b"new").unwrap();
        drop(file);
        let meta = std::fs::metadata(&path).unwrap();
        let contents = std::fs::read(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        assert_eq!(meta.permissions().mode() & 0o7777, 0o640);
        assert_eq!(contents, b"new");
    }
}
