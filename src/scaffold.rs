//! `repro new <id>`: a new reproduction crate from the mould `harness/template`, so that paper
//! 24 starts with the five rooms, a running example and a chapter skeleton.

use std::path::{Path, PathBuf};

const TEMPLATE: &str = "harness/template";
const TEMPLATE_ID: &str = "paper-template";

/// Copies the template to `reproductions/<id>/` (package, crate name and paper id renamed) and
/// writes `book/src/papers/<id>.md`; returns the checklist of the lines still to add by hand.
/// Nothing is written when the id is invalid or already taken.
pub fn new_paper(root: &Path, id: &str) -> Result<String, String> {
    let valid = !id.is_empty()
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        return Err(format!(
            "invalid paper id {id:?}: use lowercase letters, digits and dashes, starting with a letter"
        ));
    }
    if crate::registry().iter().any(|r| r.meta().id == id) {
        return Err(format!("{id} is already a registered reproduction"));
    }
    let dest = root.join("reproductions").join(id);
    let chapter = root.join("book/src/papers").join(format!("{id}.md"));
    for taken in [&dest, &chapter] {
        if taken.exists() {
            return Err(format!(
                "{} exists already; nothing written",
                taken.display()
            ));
        }
    }
    let template = root.join(TEMPLATE);
    let files = files_under(&template).map_err(|e| format!("{}: {e}", template.display()))?;
    let crate_name = id.replace('-', "_");
    let rename = |text: &str| {
        text.replace(TEMPLATE_ID, id)
            .replace(&TEMPLATE_ID.replace('-', "_"), &crate_name)
    };
    for file in files.iter().filter(|f| !f.ends_with("chapter.md")) {
        let rel = file.strip_prefix(&template).expect("under the template");
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        write(&dest.join(rel), &rename(&text))?;
    }
    let skeleton = std::fs::read_to_string(template.join("chapter.md"))
        .map_err(|e| format!("{TEMPLATE}/chapter.md: {e}"))?;
    write(&chapter, &skeleton)?;
    Ok(format!(
        "created reproductions/{id}/ and book/src/papers/{id}.md. Still to add by hand:\n\
         1. src/lib.rs, registry():           &{crate_name}::REPRODUCTION,\n\
         2. Cargo.toml [workspace.dependencies]: {id} = {{ path = \"reproductions/{id}\" }}\n\
         3. Cargo.toml root [dependencies]:      {id}.workspace = true\n\
         4. book/src/SUMMARY.md:              - [SHORT NAME](papers/{id}.md)\n\
         Then replace the example in the five rooms (method, experiment, claims, presentation,\n\
         notes) and the Meta, run `cargo test --release -p {id} --test snapshot`, review the\n\
         snapshot with `cargo insta review`, and add the README rows."
    ))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::create_dir_all(path.parent().expect("a parent folder"))
        .and_then(|_| std::fs::write(path, text))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Every file under `dir`, skipping build output and hidden files.
fn files_under(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == "target" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path)?);
        } else {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}
