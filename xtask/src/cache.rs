//! Skips a vendor whose spec, generator and generated file are all as they were the last time
//! this checkout generated it.
//!
//! A stamp per vendor, in `target/xtask-codegen/<vendor>.stamp` (never checked in, so a fresh
//! clone, such as CI's, always generates everything), records a hash of the inputs (the spec's
//! bytes and the identity of this xtask executable: path, size and modification time, so any
//! rebuild of the generator, a new progenitor included, invalidates it) and a hash of the file
//! that generation produced. When the inputs hash the same and the checked-in file still hashes
//! to the recorded output, generation is deterministic, so it would produce that file again:
//! it is reused as is, and `--check` stays exact (an edited generated file no longer matches
//! its stamp and is regenerated and compared). `--no-cache` ignores the stamps.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use crate::vendors::Vendor;

/// What a stamp is checked against.
pub struct Inputs {
    hash: u64,
}

impl Inputs {
    /// The inputs of `vendor`'s generation in `root`, or `None` when they cannot be read (then
    /// nothing is reused).
    pub fn of(root: &Path, vendor: Vendor) -> Option<Self> {
        let spec = std::fs::read(root.join(vendor.spec_path())).ok()?;
        let exe = std::env::current_exe().ok()?;
        let meta = std::fs::metadata(&exe).ok()?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        spec.hash(&mut h);
        exe.hash(&mut h);
        meta.len().hash(&mut h);
        meta.modified().ok()?.hash(&mut h);
        Some(Self { hash: h.finish() })
    }
}

fn stamp_path(root: &Path, vendor: Vendor) -> PathBuf {
    root.join("target")
        .join("xtask-codegen")
        .join(format!("{}.stamp", vendor.name()))
}

fn hash_text(text: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// The checked-in generated file, when its stamp says generating again would reproduce it.
pub fn reuse(root: &Path, vendor: Vendor, inputs: &Inputs) -> Option<String> {
    let stamp = std::fs::read_to_string(stamp_path(root, vendor)).ok()?;
    let (input, output) = stamp.trim().split_once(' ')?;
    if u64::from_str_radix(input, 16).ok()? != inputs.hash {
        return None;
    }
    let current = std::fs::read_to_string(root.join(vendor.generated_path())).ok()?;
    (u64::from_str_radix(output, 16).ok()? == hash_text(&current)).then_some(current)
}

/// Records that `inputs` generate `code`. A stamp that cannot be written only costs the next
/// run its reuse.
pub fn record(root: &Path, vendor: Vendor, inputs: &Inputs, code: &str) {
    let path = stamp_path(root, vendor);
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = std::fs::write(path, format!("{:x} {:x}\n", inputs.hash, hash_text(code)));
}
