//! The Wasm plugins the tests load: the examples and the test plugins, built for
//! wasm32-wasip2 by `scripts/build-plugins` (which `scripts/test` runs first).

use std::path::{Path, PathBuf};

/// The built component of crate `name` (`target/wasm32-wasip2/release/<name>.wasm`).
pub fn plugin(name: &str) -> PathBuf {
    let target = crate::pump_bin()
        .parent()
        .and_then(Path::parent)
        .expect("the pump binary is in target/<profile>/")
        .to_path_buf();
    let path = target
        .join("wasm32-wasip2")
        .join("release")
        .join(format!("{name}.wasm"));
    assert!(
        path.exists(),
        "{} is missing: build the plugins first with scripts/build-plugins",
        path.display()
    );
    path
}

/// A `[plugins]` table whose compile cache is shared by every test, so each plugin is
/// compiled once per test run.
pub fn plugins_toml() -> String {
    let dir = crate::pump_bin()
        .parent()
        .expect("target/<profile>/")
        .join("plugin-cache");
    format!("\n[plugins]\ncache_dir = {:?}\n", dir.display().to_string())
}

/// The same component with a custom section appended: another version (another hash) of
/// a plugin that behaves the same.
pub fn another_version(component: &Path, tag: &str) -> Vec<u8> {
    let mut bytes = std::fs::read(component).expect("read component");
    let name = b"pump-test-version";
    let payload_len = 1 + name.len() + tag.len();
    assert!(payload_len < 128, "one-byte LEB128 section size");
    bytes.push(0); // custom section
    bytes.push(payload_len as u8);
    bytes.push(name.len() as u8);
    bytes.extend_from_slice(name);
    bytes.extend_from_slice(tag.as_bytes());
    bytes
}

/// Replaces `path` with `bytes` in one step (written aside, then renamed), as a deploy would.
pub fn replace_file(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).expect("write");
    std::fs::rename(&tmp, path).expect("rename");
}
