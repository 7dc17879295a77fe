//! Helpers shared by the CLI and safety tests.

use std::path::Path;

/// Copies a folder, leaving out build output (`build`, `generated`) and hidden entries (locks,
/// temporary files of an interrupted build).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let name = e.file_name();
        let s = name.to_string_lossy();
        if s == "build" || s == "generated" || s.starts_with('.') {
            continue;
        }
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(&name));
        } else {
            std::fs::copy(&p, to.join(&name)).unwrap();
        }
    }
}
