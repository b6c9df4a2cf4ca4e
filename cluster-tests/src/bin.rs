//! Where the `slotraft` binary under test comes from.
//!
//! `SLOTRAFT_BIN` wins. Otherwise the harness runs `cargo build --workspace
//! --bin slotraft` once per test process, with the profile and target
//! directory of the running test executable, so `cargo test --workspace
//! --release` in a fresh clone tests a binary built from the same sources
//! (cargo builds a package's binaries only for that package's own tests, so
//! this crate cannot rely on it being there or being fresh). `--workspace`
//! resolves features as `cargo build --workspace --bins` (scripts/test.sh)
//! does, so after that build this one is a no-op instead of a second compile
//! of the node. Set `SLOTRAFT_NO_BUILD=1` to skip the build and use whatever
//! is in the target directory.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The path of the `slotraft` binary to test; builds it on first use (see
/// the module docs). Panics with what to do when it cannot be found.
pub fn slotraft_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(locate).clone()
}

fn locate() -> PathBuf {
    if let Some(p) = std::env::var_os("SLOTRAFT_BIN") {
        let p = PathBuf::from(p);
        assert!(p.is_file(), "SLOTRAFT_BIN={} is not a file", p.display());
        return p;
    }
    let exe = std::env::current_exe().expect("path of the test executable");
    // Test executables live in <target>/<profile>/deps/.
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executable under <target>/<profile>/deps")
        .to_path_buf();
    let bin = profile_dir.join("slotraft");
    if std::env::var_os("SLOTRAFT_NO_BUILD").is_none() {
        build(&profile_dir);
    }
    assert!(
        bin.is_file(),
        "no slotraft binary at {}: build it (`cargo build --workspace --bin slotraft`, same \
         profile as the tests) or set SLOTRAFT_BIN",
        bin.display()
    );
    bin
}

fn build(profile_dir: &Path) {
    let profile = profile_dir
        .file_name()
        .and_then(|s| s.to_str())
        .expect("profile directory name");
    let target = profile_dir.parent().expect("target directory");
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .env("CARGO_TARGET_DIR", target)
        .args(["build", "--quiet", "--workspace", "--bin", "slotraft"]);
    match profile {
        "debug" => {}
        "release" => {
            cmd.arg("--release");
        }
        other => {
            cmd.args(["--profile", other]);
        }
    }
    eprintln!(
        "cluster-tests: building slotraft ({profile}) in {}",
        target.display()
    );
    let status = cmd.status().expect("run cargo to build slotraft");
    assert!(
        status.success(),
        "cargo build --bin slotraft failed: {status}"
    );
}
