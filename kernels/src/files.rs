//! Crash- and concurrency-safe files: the one way this suite writes a file others read (results,
//! records, bench tables) and swaps a built folder (the book, its figures) into place.
//!
//! - A file is written to a fresh temporary name beside it, created exclusively (an existing
//!   name, a planted symbolic link included, is refused rather than followed), synced, then
//!   renamed over the target: a reader sees the old file or the new one, never a part.
//! - A folder is built beside its destination and exchanged with it in one `renameat2` call
//!   (Linux); elsewhere two renames, with a window of microseconds where only the old copy exists.
//! - [`Lock`] is an advisory lock on a file (`flock`), released when its holder exits, however
//!   it exits, so a killed command never leaves a lock behind.
//!
//! Every error names the operation and the path ([`FileError`]).

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// An I/O error with the operation that failed and the path it failed on.
#[derive(Debug)]
pub struct FileError {
    pub op: &'static str,
    pub path: PathBuf,
    pub source: std::io::Error,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot {} {}: {}",
            self.op,
            self.path.display(),
            self.source
        )
    }
}

impl std::error::Error for FileError {}

fn ctx<T>(op: &'static str, path: &Path, r: std::io::Result<T>) -> Result<T, FileError> {
    r.map_err(|source| FileError {
        op,
        path: path.to_path_buf(),
        source,
    })
}

/// A name no other process or thread will pick: `.<stem>.<pid>.<nanos>.<n>.tmp` in `dir`.
pub fn unique_temp(dir: &Path, stem: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{stem}.{}.{nanos}.{n}.tmp", std::process::id()))
}

/// Writes `bytes` to `path` atomically: through a fresh exclusive temporary file in the same
/// folder (see [`write_via`]). The folder must exist.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let stem = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    write_via(&unique_temp(dir, &stem), path, bytes)
}

/// Creates `tmp` exclusively (failing if anything, a link included, is there), writes and syncs
/// `bytes`, and renames it to `path`. On failure the temporary file is removed.
pub fn write_via(tmp: &Path, path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let mut file = ctx(
        "create the temporary file",
        tmp,
        OpenOptions::new().write(true).create_new(true).open(tmp),
    )?;
    let written = ctx("write", tmp, file.write_all(bytes))
        .and_then(|_| ctx("sync", tmp, file.sync_all()))
        .and_then(|_| {
            drop(file);
            ctx(
                "rename the temporary file onto",
                path,
                std::fs::rename(tmp, path),
            )
        });
    if written.is_err() {
        let _ = std::fs::remove_file(tmp);
    } else if let Some(dir) = path.parent() {
        // The rename is durable once the folder is synced; best effort (not every FS allows it).
        let _ = File::open(dir).and_then(|d| d.sync_all());
    }
    written
}

/// Removes leftovers of interrupted writes in `dir`: entries named `.<prefix>*.tmp` (files,
/// links or folders). Call it only while holding the lock that guards those names.
pub fn clean_temps(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let start = format!(".{prefix}");
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !(name.starts_with(&start) && name.ends_with(".tmp")) {
            continue;
        }
        let p = e.path();
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => {
                let _ = std::fs::remove_dir_all(&p);
            }
            Ok(_) => {
                let _ = std::fs::remove_file(&p);
            }
            Err(_) => {}
        }
    }
}

/// Puts the folder `new` at `dest`, atomically where the platform allows; the previous `dest`
/// (if any) is deleted afterwards.
pub fn swap_dir(new: &Path, dest: &Path) -> Result<(), FileError> {
    if std::fs::symlink_metadata(dest).is_err() {
        return ctx("move the new folder to", dest, std::fs::rename(new, dest));
    }
    if exchange(new, dest).is_ok() {
        let _ = std::fs::remove_dir_all(new);
        return Ok(());
    }
    let dir = dest.parent().unwrap_or(Path::new("."));
    let stem = dest
        .file_name()
        .map(|n| format!("{}-old", n.to_string_lossy()))
        .unwrap_or_default();
    let old = unique_temp(dir, &stem);
    ctx(
        "move aside the old folder",
        dest,
        std::fs::rename(dest, &old),
    )?;
    if let Err(e) = ctx("move the new folder to", dest, std::fs::rename(new, dest)) {
        let _ = std::fs::rename(&old, dest);
        return Err(e);
    }
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// Exchanges two paths in one system call.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt as _;
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both are valid NUL-terminated paths; AT_FDCWD resolves them like rename(2).
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

/// An exclusive advisory lock on a file, held until dropped (or the process ends).
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

impl Lock {
    /// Locks `path` (created if absent; never truncated). When another holder has it, calls
    /// `on_wait` once and then waits for it.
    pub fn acquire(path: &Path, on_wait: impl FnOnce()) -> Result<Lock, FileError> {
        let file = ctx(
            "open the lock file",
            path,
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path),
        )?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                on_wait();
                ctx("lock", path, file.lock())?;
            }
            Err(std::fs::TryLockError::Error(e)) => return ctx("lock", path, Err(e)),
        }
        Ok(Lock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("repro-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_link_at_the_temporary_name_is_not_followed() {
        let d = scratch("link");
        let outside = d.join("outside.txt");
        std::fs::write(&outside, "precious").unwrap();
        let tmp = d.join(".r.json.tmp");
        std::os::unix::fs::symlink(&outside, &tmp).unwrap();
        let e = write_via(&tmp, &d.join("r.json"), b"new").unwrap_err();
        assert!(e.to_string().contains("create the temporary file"), "{e}");
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "precious");
        assert!(!d.join("r.json").exists());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn writes_replace_whole_files_and_errors_name_the_path() {
        let d = scratch("write");
        let p = d.join("a.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "two");
        std::fs::create_dir_all(d.join("dir.json/x")).unwrap();
        let e = write_atomic(&d.join("dir.json"), b"x").unwrap_err();
        assert!(e.to_string().contains("dir.json"), "{e}");
        let left: Vec<_> = std::fs::read_dir(&d)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "a failed write leaves no temporary file");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn folders_swap_and_leftovers_are_cleaned() {
        let d = scratch("swap");
        let dest = d.join("build");
        for round in 0..3 {
            let new = unique_temp(&d, "build");
            std::fs::create_dir_all(&new).unwrap();
            std::fs::write(new.join("index.html"), format!("{round}")).unwrap();
            swap_dir(&new, &dest).unwrap();
            assert_eq!(
                std::fs::read_to_string(dest.join("index.html")).unwrap(),
                format!("{round}")
            );
        }
        std::fs::create_dir_all(unique_temp(&d, "build")).unwrap();
        std::fs::write(unique_temp(&d, "build"), "x").unwrap();
        clean_temps(&d, "build");
        let names: Vec<String> = std::fs::read_dir(&d)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["build".to_string()]);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_second_lock_waits_for_the_first() {
        let d = scratch("lock");
        let path = d.join(".x.lock");
        let first = Lock::acquire(&path, || panic!("the first holder never waits")).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let p2 = path.clone();
        let waiter = std::thread::spawn(move || {
            let waited = std::cell::Cell::new(false);
            let _second = Lock::acquire(&p2, || waited.set(true)).unwrap();
            tx.send(waited.get()).unwrap();
        });
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert!(rx.try_recv().is_err(), "the second holder waits");
        drop(first);
        assert!(rx.recv().unwrap(), "and was told it waits");
        waiter.join().unwrap();
        std::fs::remove_dir_all(&d).unwrap();
    }
}
