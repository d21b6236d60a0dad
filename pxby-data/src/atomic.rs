//! Atomic file writes: the one way the workspace writes an output file.
//!
//! The content goes to a temporary file ([`tempfile`]) in the target's folder (or in a folder the
//! caller names, on the same file system), made mode 0644 (temporary files are created 0600; these
//! are ordinary outputs), synced to disk, renamed over the target, and then the target's folder is
//! synced so the rename itself survives a crash. A reader sees the old file or the new one, never
//! a part; on error the temporary file is removed and an existing target is left as it was.
//!
//! Temporary files are named `.pxby-tmp-XXXXXX` ([`TEMP_PREFIX`]); those of
//! [`write_atomic_with`] also end with the target's extension, so a filler that picks its format
//! from the path (an image encoder) sees the right one. [`sweep_temp_files`] removes those a
//! killed process left behind.
//!
//! ```
//! use pxby_data::atomic::{write_atomic, write_atomic_with};
//! use std::io::Write;
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("hello.txt");
//! write_atomic(&path, b"hello\n")?;
//! assert_eq!(std::fs::read(&path)?, b"hello\n");
//! // The caller may fill the temporary file itself, through its handle or its path.
//! write_atomic_with(&path, |file, _tmp_path| writeln!(file, "bye"))?;
//! assert_eq!(std::fs::read_to_string(&path)?, "bye\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// Name prefix of the temporary files.
pub const TEMP_PREFIX: &str = ".pxby-tmp-";

/// Why [`write_atomic_with`] failed: one of two steps, by construction (so not
/// `non_exhaustive`; callers match both).
#[derive(Debug, thiserror::Error)]
pub enum WriteError<E> {
    /// Creating, syncing or renaming the temporary file failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The caller's filler failed.
    #[error("{0}")]
    Fill(E),
}

impl WriteError<io::Error> {
    /// The I/O error, whichever step it came from.
    pub fn into_io(self) -> io::Error {
        match self {
            WriteError::Io(e) | WriteError::Fill(e) => e,
        }
    }
}

/// Writes `bytes` to `path` atomically (see the [module docs](self)).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_via(folder_of(path), path, false, |file, _| {
        file.write_all(bytes)
    })
    .map_err(WriteError::into_io)
}

/// Writes `path` atomically with a caller's `fill`, which gets the open temporary file and its
/// path (write through either; e.g. an encoder that only takes a path, which is why the
/// temporary file keeps `path`'s extension). Nothing is renamed when `fill` fails.
pub fn write_atomic_with<E>(
    path: &Path,
    fill: impl FnOnce(&mut File, &Path) -> Result<(), E>,
) -> Result<(), WriteError<E>> {
    write_via(folder_of(path), path, true, fill)
}

/// Like [`write_atomic`], with the temporary file in `temp_dir` (which must be on `path`'s file
/// system), so that `path`'s folder never holds a temporary file, even when the process is killed
/// mid-write.
pub fn write_atomic_via(temp_dir: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_via(temp_dir, path, false, |file, _| file.write_all(bytes)).map_err(WriteError::into_io)
}

/// Removes the temporary files ([`TEMP_PREFIX`]) a killed process left in `dir`; returns how many.
pub fn sweep_temp_files(dir: &Path) -> io::Result<usize> {
    let mut removed = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// The folder holding `path` (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn write_via<E>(
    temp_dir: &Path,
    path: &Path,
    keep_extension: bool,
    fill: impl FnOnce(&mut File, &Path) -> Result<(), E>,
) -> Result<(), WriteError<E>> {
    let suffix = match path.extension() {
        Some(e) if keep_extension => format!(".{}", e.to_string_lossy()),
        _ => String::new(),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(&suffix)
        .tempfile_in(temp_dir)
        .map_err(|e| naming_target(e, path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    let tmp_path = tmp.path().to_path_buf();
    fill(tmp.as_file_mut(), &tmp_path).map_err(WriteError::Fill)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_folder(folder_of(path))?;
    Ok(())
}

/// An error creating the temporary file, told about the target (the temporary file's name means
/// nothing to the user): `cannot write TARGET: CAUSE`.
fn naming_target(e: io::Error, path: &Path) -> io::Error {
    // tempfile's message is `CAUSE at path "TEMPORARY"`; keep only the cause.
    let text = e.to_string();
    let cause = text
        .rsplit_once(" at path ")
        .map_or(text.as_str(), |(cause, _)| cause);
    io::Error::new(
        e.kind(),
        format!("cannot write {}: {cause}", path.display()),
    )
}

/// Syncs a folder, so that a rename into it is on disk (Unix; elsewhere a folder cannot be opened
/// and the rename is left to the file system).
fn sync_folder(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_the_content_and_replaces_an_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.bin");
        write_atomic(&p, b"first").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"first");
        write_atomic(&p, b"second, longer").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second, longer");
        write_atomic(&p, b"").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"");
        assert_eq!(names(dir.path()), ["a.bin"]);
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_mode_0644() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.txt");
        // Also over an existing file of another mode.
        std::fs::write(&p, b"old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_atomic(&p, b"new").unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
        let q = dir.path().join("n.png");
        write_atomic_with(&q, |_, tmp| std::fs::write(tmp, b"by path")).unwrap();
        let mode = std::fs::metadata(&q).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
        assert_eq!(std::fs::read(&q).unwrap(), b"by path");
    }

    #[test]
    fn the_temporary_file_keeps_the_extension_and_the_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("plot.png");
        let mut seen = None;
        write_atomic_with(&p, |_, tmp| {
            seen = Some(tmp.to_path_buf());
            Ok::<(), io::Error>(())
        })
        .unwrap();
        let seen = seen.unwrap();
        assert_eq!(seen.parent(), Some(dir.path()));
        let name = seen.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with(TEMP_PREFIX) && name.ends_with(".png"),
            "{name}"
        );
    }

    #[test]
    fn byte_writers_add_no_extension() {
        // A cache keeps `*.entry` files: a leftover temporary file must not look like one.
        let dir = tempfile::tempdir().unwrap();
        let temps = dir.path().join("t");
        std::fs::create_dir(&temps).unwrap();
        let r = write_atomic_via(&temps, &dir.path().join("missing/x.entry"), b"data");
        assert!(r.is_err());
        assert!(names(&temps).is_empty());
        let suffix_of = |keep| {
            let mut seen = String::new();
            write_via(&temps, &dir.path().join("y.entry"), keep, |_, tmp| {
                seen = tmp.file_name().unwrap().to_string_lossy().into_owned();
                Ok::<(), io::Error>(())
            })
            .unwrap();
            seen
        };
        assert!(!suffix_of(false).ends_with(".entry"));
        assert!(suffix_of(true).ends_with(".entry"));
    }

    #[test]
    fn a_failing_fill_leaves_nothing_and_the_old_file_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("keep.txt");
        std::fs::write(&p, b"old content").unwrap();
        let r = write_atomic_with(&p, |file, _| {
            file.write_all(b"half")?;
            Err::<(), io::Error>(io::Error::other("encoder failed"))
        });
        assert!(matches!(r, Err(WriteError::Fill(_))), "{r:?}");
        assert_eq!(std::fs::read(&p).unwrap(), b"old content");
        assert_eq!(names(dir.path()), ["keep.txt"]);
    }

    #[test]
    fn a_failing_rename_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        // The target is a non-empty folder: the rename fails.
        let target = dir.path().join("taken");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("inside"), b"x").unwrap();
        assert!(write_atomic(&target, b"data").is_err());
        assert_eq!(names(dir.path()), ["taken"]);
        assert_eq!(std::fs::read(target.join("inside")).unwrap(), b"x");
        // A missing folder fails before anything is created, naming the target.
        let target = dir.path().join("missing/f");
        let e = write_atomic(&target, b"data").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        let text = e.to_string();
        assert!(
            text.starts_with(&format!("cannot write {}: ", target.display())),
            "{text}"
        );
        assert!(!text.contains(TEMP_PREFIX), "{text}");
        assert_eq!(names(dir.path()), ["taken"]);
    }

    #[test]
    fn via_another_folder_and_sweep() {
        let dir = tempfile::tempdir().unwrap();
        let temps = dir.path().join(".cache");
        let out = dir.path().join("out");
        std::fs::create_dir_all(&temps).unwrap();
        std::fs::create_dir_all(&out).unwrap();
        write_atomic_via(&temps, &out.join("x.csv"), b"a,b\n").unwrap();
        assert_eq!(std::fs::read(out.join("x.csv")).unwrap(), b"a,b\n");
        assert!(names(&temps).is_empty());
        std::fs::write(temps.join(".pxby-tmp-left"), b"partial").unwrap();
        std::fs::write(temps.join("entry"), b"kept").unwrap();
        assert_eq!(sweep_temp_files(&temps).unwrap(), 1);
        assert_eq!(names(&temps), ["entry"]);
    }

    #[test]
    fn a_bare_file_name_is_written_in_the_current_folder() {
        assert_eq!(folder_of(Path::new("f.txt")), Path::new("."));
        assert_eq!(folder_of(Path::new("a/f.txt")), Path::new("a"));
    }
}
