//! `cargo xtask conformance drchrono` end to end: the checked-in spec passes, and a spec that
//! drifts back to the reference text's mistakes, or an allowlist entry that no longer matches,
//! fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scratch copy of `specs/drchrono.yaml` and `specs/conformance/`.
struct Scratch {
    root: PathBuf,
}

impl Scratch {
    fn new(name: &str) -> Scratch {
        let root = std::env::temp_dir().join(format!("conformance-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("specs/conformance")).unwrap();
        let real = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        for file in [
            "specs/drchrono.yaml",
            "specs/conformance/drchrono-official.json",
            "specs/conformance/drchrono-allow.yaml",
        ] {
            std::fs::copy(real.join(file), root.join(file)).unwrap();
        }
        Scratch { root }
    }

    fn edit(&self, file: &str, edit: impl FnOnce(String) -> String) {
        let path = self.root.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let edited = edit(text.clone());
        assert_ne!(edited, text, "the edit changed {file}");
        std::fs::write(path, edited).unwrap();
    }

    fn check(&self) -> Output {
        Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(["conformance", "drchrono", "--root"])
            .arg(&self.root)
            .output()
            .expect("xtask runs")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_checked_in_spec_has_no_unexplained_difference() {
    let scratch = Scratch::new("clean");
    let output = scratch.check();
    let printed = stdout(&output);
    assert!(output.status.success(), "{printed}");
    assert!(printed.contains("operations:"), "{printed}");
    assert!(!printed.contains("UNEXPLAINED"), "{printed}");
}

#[test]
fn a_field_drifting_back_to_the_reference_texts_shape_fails() {
    let scratch = Scratch::new("drift");
    // icd10_codes back to the v4 reference's `string`.
    scratch.edit("specs/drchrono.yaml", |spec| {
        let at = spec.find("\n        icd10_codes:\n          type: array\n          items:\n            type: string\n").expect("the array");
        let mut spec = spec;
        spec.replace_range(
            at..at + "\n        icd10_codes:\n          type: array\n          items:\n            type: string\n".len(),
            "\n        icd10_codes:\n          type: string\n",
        );
        spec
    });
    let output = scratch.check();
    let printed = stdout(&output);
    assert!(!output.status.success(), "{printed}");
    assert!(
        printed.contains(
            "UNEXPLAINED type Appointment.icd10_codes: official array of string, ours string"
        ),
        "{printed}"
    );
}

#[test]
fn an_enum_drifting_back_to_prose_and_a_missing_filter_fail() {
    let scratch = Scratch::new("enum");
    scratch.edit("specs/drchrono.yaml", |spec| {
        spec.replacen(
            "      enum:\n      - 'N'\n      - S\n",
            "      enum:\n      - NORMAL\n      - STAT\n",
            1,
        )
        .replacen(
            "      - name: occurred_since\n",
            "      - name: occurred_after\n",
            1,
        )
    });
    let printed = stdout(&scratch.check());
    assert!(
        printed.contains("UNEXPLAINED enum LabOrder.priority"),
        "{printed}"
    );
    assert!(
        printed.contains("UNEXPLAINED query GET /api/appointments ?occurred_since"),
        "{printed}"
    );
}

#[test]
fn an_allowlist_entry_that_matches_nothing_fails() {
    let scratch = Scratch::new("stale");
    scratch.edit("specs/conformance/drchrono-allow.yaml", |allow| {
        allow.replace(
            "allow: {}\n",
            "allow:\n  'type Appointment.no_such_field': a reason for nothing\n",
        )
    });
    let output = scratch.check();
    let printed = stdout(&output);
    assert!(!output.status.success(), "{printed}");
    assert!(
        printed.contains(
            "STALE allow entry (matches no difference; remove it): type Appointment.no_such_field"
        ),
        "{printed}"
    );
}
