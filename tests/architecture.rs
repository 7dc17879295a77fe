//! The dependency invariants of ARCHITECTURE.md, read from `cargo metadata`: arrows point one
//! way, `repro → reproductions → harness → kernels`, and what must never exist fails here.

use serde_json::Value;
use std::collections::BTreeMap;

/// Each workspace package's name → the workspace packages it depends on (any kind: normal, dev,
/// build), from `cargo metadata --no-deps`.
fn workspace_graph() -> BTreeMap<String, (String, Vec<String>)> {
    let meta = metadata();
    let packages = meta["packages"].as_array().expect("packages");
    let names: Vec<String> = packages
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    packages
        .iter()
        .map(|p| {
            let deps = dependencies(p)
                .into_iter()
                .filter(|d| names.contains(d))
                .collect();
            let dir = p["manifest_path"].as_str().unwrap().to_string();
            (p["name"].as_str().unwrap().to_string(), (dir, deps))
        })
        .collect()
}

/// The names of every dependency of a package (workspace or registry, any kind).
fn dependencies(package: &Value) -> Vec<String> {
    package["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect()
}

/// `cargo metadata --no-deps` of the workspace.
fn metadata() -> Value {
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata is JSON")
}

fn is_reproduction(manifest: &str) -> bool {
    manifest.contains("/reproductions/")
}

#[test]
fn kernels_depend_on_no_workspace_crate() {
    let graph = workspace_graph();
    let (_, deps) = &graph["kernels"];
    assert!(deps.is_empty(), "kernels depends on {deps:?}");
}

#[test]
fn harness_depends_on_kernels_only() {
    let graph = workspace_graph();
    let (_, deps) = &graph["harness"];
    assert_eq!(
        deps,
        &["kernels".to_string()],
        "harness depends on {deps:?}"
    );
}

#[test]
fn only_the_bridge_depends_on_dfdx_and_only_on_kernels() {
    let meta = metadata();
    for p in meta["packages"].as_array().expect("packages") {
        let name = p["name"].as_str().unwrap();
        if name != "dfdx-bridge" {
            assert!(
                !dependencies(p).iter().any(|d| d == "dfdx"),
                "{name} depends on dfdx directly: use dfdx_bridge::dfdx"
            );
        }
    }
    let graph = workspace_graph();
    let (_, deps) = &graph["dfdx-bridge"];
    assert_eq!(
        deps,
        &["kernels".to_string()],
        "dfdx-bridge depends on {deps:?}"
    );
}

#[test]
fn reproductions_depend_on_harness_kernels_and_the_bridge_only() {
    let graph = workspace_graph();
    let mut count = 0;
    for (name, (manifest, deps)) in &graph {
        if !is_reproduction(manifest) {
            continue;
        }
        count += 1;
        for d in deps {
            assert!(
                ["harness", "kernels", "dfdx-bridge"].contains(&d.as_str()),
                "reproduction {name} depends on workspace crate {d}"
            );
        }
    }
    assert!(count >= 11, "found {count} reproductions");
}

#[test]
fn only_the_root_package_depends_on_reproductions() {
    let graph = workspace_graph();
    for (name, (_, deps)) in &graph {
        for d in deps {
            let (manifest, _) = &graph[d];
            if is_reproduction(manifest) {
                assert_eq!(name, "repro", "{name} depends on the reproduction {d}");
            }
        }
    }
    // And the root lists every reproduction in its registry.
    let registered: Vec<&str> = repro::registry().iter().map(|r| r.meta().id).collect();
    for (manifest, _) in graph.values().filter(|(m, _)| is_reproduction(m)) {
        let id = manifest
            .rsplit("/reproductions/")
            .next()
            .and_then(|s| s.split('/').next())
            .unwrap();
        assert!(registered.contains(&id), "{id} is not in repro::registry()");
    }
}
