//! The rule that no command overwrites its own input: an output path that resolves to any input
//! of the same command is refused before anything is written.
//!
//! Both sides are resolved the way the file system would: symbolic links and `..` are followed
//! ([`std::fs::canonicalize`]; an output that does not exist yet is resolved through its folder),
//! and two names of one existing file (hard links) are recognised as the same file (same device
//! and inode, from `stat`: nothing is opened, so a FIFO cannot block the check). An output that does not exist cannot replace anything, unless it resolves to
//! the name of an input.
//!
//! ```
//! use pxby_data::paths::refuse_overwriting_inputs;
//! let dir = tempfile::tempdir()?;
//! let model = dir.path().join("m.pxby");
//! std::fs::write(&model, b"model")?;
//! // A new file next to the input is fine.
//! refuse_overwriting_inputs(&dir.path().join("card.png"), [&model])?;
//! // The input itself, under any name, is refused.
//! let again = dir.path().join(".").join("m.pxby");
//! assert!(refuse_overwriting_inputs(&again, [&model]).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};

/// An output path that resolves to one of the command's inputs.
#[derive(Debug, thiserror::Error)]
#[error(
    "refusing to write {}: it is {}, an input of this command (choose another output path)",
    out.display(),
    input.display()
)]
pub struct OutputIsInput {
    /// The output path as given.
    pub out: PathBuf,
    /// The input it resolves to, as given.
    pub input: PathBuf,
}

/// `path` with symbolic links and `..` resolved: the path itself when it exists, else its
/// resolved folder joined with its file name; `path` as given when neither resolves.
fn resolve(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match (std::fs::canonicalize(folder), path.file_name()) {
        (Ok(f), Some(name)) => f.join(name),
        _ => path.to_path_buf(),
    }
}

/// Whether both paths exist and are one file (Unix: device and inode; elsewhere the resolved
/// names alone decide).
fn same_inode(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        false
    }
}

/// Refuses `out` when it resolves to any of `inputs` (see the [module docs](self)); call it
/// before writing anything.
pub fn refuse_overwriting_inputs<I, P>(out: &Path, inputs: I) -> Result<(), OutputIsInput>
where
    I: IntoIterator<Item = P>,
    P: AsRef<Path>,
{
    let resolved = resolve(out);
    for input in inputs {
        let input = input.as_ref();
        if resolve(input) == resolved || same_inode(out, input) {
            return Err(OutputIsInput {
                out: out.to_path_buf(),
                input: input.to_path_buf(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_of_an_input_is_refused_and_other_paths_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("sub")).unwrap();
        let input = d.join("in.pxds");
        std::fs::write(&input, b"data").unwrap();
        let refused = |out: &Path| refuse_overwriting_inputs(out, [&input]).is_err();
        assert!(refused(&input));
        assert!(refused(&d.join("sub/../in.pxds")));
        assert!(refused(&d.join("./in.pxds")));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&input, d.join("link")).unwrap();
            assert!(refused(&d.join("link")));
            std::os::unix::fs::symlink(d, d.join("sub/up")).unwrap();
            assert!(refused(&d.join("sub/up/in.pxds")));
        }
        std::fs::hard_link(&input, d.join("hard")).unwrap();
        assert!(refused(&d.join("hard")));
        assert!(!refused(&d.join("out.pxds")));
        assert!(!refused(&d.join("sub/in.pxds")));
        assert!(!refused(&d.join("missing/in.pxds")));
        // No inputs: nothing to refuse.
        assert!(refuse_overwriting_inputs(&input, Vec::<PathBuf>::new()).is_ok());
    }

    #[test]
    fn a_relative_output_resolves_against_the_current_folder() {
        let cwd = std::env::current_dir().unwrap();
        let manifest = cwd.join("Cargo.toml");
        assert!(refuse_overwriting_inputs(Path::new("Cargo.toml"), [&manifest]).is_err());
        let e = refuse_overwriting_inputs(Path::new("./Cargo.toml"), [&manifest]).unwrap_err();
        assert!(e.to_string().contains("an input of this command"), "{e}");
    }
}
