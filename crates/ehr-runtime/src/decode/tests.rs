//! Tolerant decoding, checked on types shaped as `cargo xtask codegen` writes them.

use serde::Deserialize;

use super::{Decoding, DroppedField, Record, Tolerant, from_slice};

/// A struct and its field-by-field copy, as generated: optional fields `Tolerant`.
macro_rules! generated {
    ($name:ident { $($req:ident: $rty:ty),* ; $($opt:ident: $oty:ty),* } blank = $blank:literal) => {
        #[derive(Debug, Clone, PartialEq)]
        struct $name { $($req: $rty,)* $($opt: Option<$oty>,)* }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                #[derive(Deserialize)]
                struct Copy { $($req: $rty,)* $(#[serde(default)] $opt: Tolerant<$oty, $blank>,)* }
                let f = Copy::deserialize(Record::new(d))?;
                Ok($name { $($req: f.$req,)* $($opt: f.$opt.0,)* })
            }
        }
    };
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
enum Status {
    #[serde(rename = "A")]
    Active,
    #[serde(rename = "I")]
    Inactive,
}

generated!(Transition { datetime: String ; to_status: String } blank = false);
generated!(Appointment {
    id: i64, offices: Vec<i64> ;
    doctor: i64, icd10_codes: Vec<String>, status: Status, notes: String,
    transitions: Vec<Transition>, matrix: Vec<Vec<i64>>, extra: std::collections::BTreeMap<String, i64>
} blank = false);
generated!(Blank { id: i64 ; doctor: i64, name: String } blank = true);
generated!(Page { results: Vec<Appointment> ; next: String } blank = false);

fn tolerant<T: serde::de::DeserializeOwned>(json: &str) -> (T, Vec<DroppedField>) {
    from_slice(json.as_bytes(), Decoding::Tolerant).unwrap_or_else(|e| panic!("{json}: {e}"))
}

fn dropped(json: &str) -> Vec<String> {
    tolerant::<Appointment>(json)
        .1
        .iter()
        .map(ToString::to_string)
        .collect()
}

const FULL: &str = r#"{"id": 1, "offices": [1, 2], "doctor": 5, "icd10_codes": ["I10"], "status": "A",
    "notes": "n", "transitions": [{"datetime": "d", "to_status": "A"}], "matrix": [[1]], "extra": {"a": 1}}"#;

#[test]
fn a_body_as_the_spec_says_decodes_whole_and_leaves_nothing_out() {
    let (a, left_out) = tolerant::<Appointment>(FULL);
    assert!(left_out.is_empty());
    assert_eq!(a.doctor, Some(5));
    assert_eq!(a.transitions.unwrap()[0].to_status.as_deref(), Some("A"));
    let strict: (Appointment, _) = from_slice(FULL.as_bytes(), Decoding::Strict).unwrap();
    assert_eq!(strict.0.status, Some(Status::Active));
}

#[test]
fn each_odd_optional_field_is_left_out_and_named_by_path_type_and_kind() {
    let cases = [
        (r#""doctor": "10""#, "$.doctor: expected i64, found string"),
        (r#""doctor": 1.5"#, "$.doctor: expected i64, found number"),
        (
            r#""doctor": {"id": 5}"#,
            "$.doctor: expected i64, found object",
        ),
        (
            r#""icd10_codes": "I10""#,
            "$.icd10_codes: expected Vec<String>, found string",
        ),
        (
            r#""icd10_codes": {"code": "I10"}"#,
            "$.icd10_codes: expected Vec<String>, found object",
        ),
        (
            r#""notes": ["a", "b"]"#,
            "$.notes: expected String, found array",
        ),
        (
            r#""notes": true"#,
            "$.notes: expected String, found boolean",
        ),
        (
            r#""status": "Z""#,
            "$.status: expected Status, found string",
        ),
        (
            r#""transitions": {"datetime": "d"}"#,
            "$.transitions: expected Vec<Transition>, found object",
        ),
    ];
    for (field, want) in cases {
        let json = format!(r#"{{"id": 1, "offices": [], {field}, "doctor2": null}}"#);
        assert_eq!(dropped(&json), [want], "{json}");
        assert!(
            from_slice::<Appointment>(json.as_bytes(), Decoding::Strict).is_err(),
            "strict refuses {json}"
        );
    }
}

#[test]
fn a_value_refused_halfway_is_skipped_and_the_fields_after_it_still_decode() {
    let json = r#"{"id": 1, "offices": [3],
        "icd10_codes": ["A", ["B", {"c": [1]}], "D"],
        "transitions": [{"datetime": "d", "to_status": "A"}, {"datetime": {"x": [1, 2]}, "to_status": "B"}],
        "matrix": [[1, 2], [3, [4, 5], 6], [7]],
        "extra": {"a": 1, "b": [1, {"z": 2}], "c": 3},
        "doctor": 9, "notes": "after"}"#;
    let (a, left_out) = tolerant::<Appointment>(json);
    let left_out: Vec<String> = left_out.iter().map(ToString::to_string).collect();
    assert_eq!(
        left_out,
        [
            "$.icd10_codes: expected Vec<String>, found array",
            "$.transitions: expected Vec<Transition>, found array",
            "$.matrix: expected Vec<Vec<i64>>, found array",
            "$.extra: expected BTreeMap<String, i64>, found object",
        ]
    );
    assert_eq!((a.id, a.offices, a.doctor), (1, vec![3], Some(9)));
    assert_eq!(a.notes.as_deref(), Some("after"));
    assert_eq!(
        (a.icd10_codes, a.transitions, a.matrix, a.extra),
        (None, None, None, None)
    );
}

#[test]
fn a_field_left_out_inside_a_list_element_is_named_with_its_index() {
    let json = r#"{"next": null, "results": [
        {"id": 1, "offices": []},
        {"id": 2, "offices": [], "transitions": [{"datetime": "d"}, {"datetime": "e", "to_status": 4}]},
        {"id": 3, "offices": [], "doctor": "x"}]}"#;
    let (page, left_out) = tolerant::<Page>(json);
    let left_out: Vec<String> = left_out.iter().map(ToString::to_string).collect();
    assert_eq!(
        left_out,
        [
            "$.results[1].transitions[1].to_status: expected String, found number",
            "$.results[2].doctor: expected i64, found string",
        ]
    );
    assert_eq!(page.results.len(), 3);
    let transitions = page.results[1].transitions.as_ref().unwrap();
    assert_eq!(transitions[1].datetime, "e");
    assert_eq!(transitions[1].to_status, None);
}

#[test]
fn a_required_field_that_does_not_decode_fails_the_decode_in_either_mode() {
    for json in [
        r#"{"id": "1", "offices": []}"#,
        r#"{"id": 1, "offices": ["x"]}"#,
        r#"{"id": 1}"#,
        r#"{"id": 1, "offices": [], "doctor": 5"#,
    ] {
        assert!(
            from_slice::<Appointment>(json.as_bytes(), Decoding::Tolerant).is_err(),
            "{json}"
        );
        assert!(
            from_slice::<Appointment>(json.as_bytes(), Decoding::Strict).is_err(),
            "{json}"
        );
    }
    // Inside an optional value, a required field's failure leaves the whole value out.
    let json = r#"{"id": 1, "offices": [], "transitions": [{"to_status": "A"}]}"#;
    assert_eq!(
        dropped(json),
        ["$.transitions: expected Vec<Transition>, found array"]
    );
}

#[test]
fn broken_json_inside_an_optional_field_still_fails() {
    let json = r#"{"id": 1, "offices": [], "icd10_codes": [1, }"#;
    assert!(from_slice::<Appointment>(json.as_bytes(), Decoding::Tolerant).is_err());
}

#[test]
fn the_blank_rule_reads_empty_text_as_absent_without_a_warning() {
    let (b, left_out) = tolerant::<Blank>(r#"{"id": 1, "doctor": "", "name": ""}"#);
    assert_eq!((b.doctor, b.name), (None, None));
    assert!(left_out.is_empty());
    let (b, left_out) = tolerant::<Appointment>(r#"{"id": 1, "offices": [], "notes": ""}"#);
    assert_eq!(
        b.notes.as_deref(),
        Some(""),
        "without the rule, \"\" is text"
    );
    assert!(left_out.is_empty());
    assert!(from_slice::<Blank>(br#"{"id": 1, "doctor": ""}"#, Decoding::Strict).is_ok());
}

#[test]
fn keys_with_escapes_are_named_too() {
    let json = r#"{"id": 1, "offices": [], "doc\u0074or": "x"}"#;
    assert_eq!(dropped(json), ["$.doctor: expected i64, found string"]);
}

#[test]
fn scopes_nest_and_decoding_outside_one_still_tolerates() {
    let outer = r#"{"id": 1, "offices": [], "doctor": "x"}"#;
    let a: Appointment = serde_json::from_str(outer).expect("tolerant without a scope");
    assert_eq!(a.doctor, None);
    let (_, left_out) = tolerant::<Appointment>(outer);
    assert_eq!(left_out.len(), 1);
    let (_, again) = tolerant::<Appointment>(FULL);
    assert!(again.is_empty(), "a scope starts empty");
}

#[test]
fn type_names_lose_their_module_paths() {
    assert_eq!(
        super::short_type_name("alloc::vec::Vec<alloc::string::String>"),
        "Vec<String>"
    );
    assert_eq!(
        super::short_type_name("std::collections::BTreeMap<alloc::string::String, i64>"),
        "BTreeMap<String, i64>"
    );
    assert_eq!(
        super::without_indices("$.results[12].codes[0]"),
        "$.results[].codes[]"
    );
}

/// A value whose own decode runs another decode (a document inside a string).
#[derive(Debug, Clone, PartialEq)]
struct Embedded(Vec<DroppedField>);

impl<'de> Deserialize<'de> for Embedded {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let (_, inner) = from_slice::<Appointment>(text.as_bytes(), Decoding::Tolerant)
            .map_err(serde::de::Error::custom)?;
        Ok(Embedded(inner))
    }
}

generated!(Outer { doc: Embedded ; before: i64, after: i64 } blank = false);

#[test]
fn a_decode_inside_a_decode_keeps_each_scope_to_itself() {
    let inner = r#"{"id": 1, "offices": [], "doctor": "x"}"#;
    let json = serde_json::json!({"before": "odd", "doc": inner, "after": "odd"}).to_string();
    // Keys in order: `after` and `before` are left out before `doc` decodes its own document.
    let (outer, left_out) = tolerant::<Outer>(&json);
    assert_eq!(outer.doc.0.len(), 1);
    assert_eq!(outer.doc.0[0].path, "$.doctor");
    let paths: Vec<&str> = left_out.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["$.after", "$.before"]);
}

thread_local! {
    /// How many `Counted` values were decoded on this thread.
    static DECODED: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// An element that counts its decodes, to see how many passes a body takes.
#[derive(Debug, Clone, PartialEq)]
struct Counted;

impl<'de> Deserialize<'de> for Counted {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d)?;
        DECODED.with(|c| c.set(c.get() + 1));
        Ok(Counted)
    }
}

generated!(Counting { counted: Counted ; doctor: i64 } blank = false);

#[test]
fn a_body_is_decoded_in_one_pass_also_when_a_field_is_left_out_and_named() {
    let decodes = |json: &str| {
        DECODED.with(|c| c.set(0));
        let (_, left_out) = tolerant::<Vec<Counting>>(json);
        (
            DECODED.with(std::cell::Cell::get),
            left_out.iter().map(ToString::to_string).collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        decodes(r#"[{"counted": 1, "doctor": 5}, {"counted": 2, "doctor": 6}]"#),
        (2, vec![])
    );
    assert_eq!(
        decodes(r#"[{"counted": 1, "doctor": 5}, {"counted": 2, "doctor": "6"}]"#),
        (
            2,
            vec!["$[1].doctor: expected i64, found string".to_string()]
        )
    );
}

#[test]
fn a_path_deeper_than_the_levels_kept_ends_in_an_ellipsis() {
    generated!(Deep { ; next: Box<Deep>, n: i64 } blank = false);
    let mut json = String::from(r#"{"n": "x"}"#);
    for _ in 0..40 {
        json = format!(r#"{{"next": {json}}}"#);
    }
    let (_, left_out) = tolerant::<Deep>(&json);
    assert_eq!(left_out.len(), 1);
    assert!(
        left_out[0].path.starts_with("$.next.next."),
        "{}",
        left_out[0].path
    );
    assert!(left_out[0].path.ends_with(".…"), "{}", left_out[0].path);
}

#[test]
fn a_failed_list_inside_a_tolerant_field_leaves_the_path_of_the_next_fields_right() {
    // `transitions` fails in its second element (a required field of the wrong type): the
    // whole field is left out, and the levels it entered are left, so `notes` after it is
    // named at the right depth.
    let json = r#"{"id": 1, "offices": [], "transitions": [{"datetime": "d"}, {"datetime": 5}],
        "status": "Z", "notes": 3}"#;
    assert_eq!(
        dropped(json),
        [
            "$.transitions: expected Vec<Transition>, found array",
            "$.status: expected Status, found string",
            "$.notes: expected String, found number",
        ]
    );
}

#[test]
fn a_decode_that_fails_halfway_reports_its_own_error_not_what_follows() {
    let error = from_slice::<Appointment>(br#"{"id": "1", "offices": []}"#, Decoding::Tolerant)
        .expect_err("a wrong required id fails");
    assert!(error.to_string().contains("invalid type"), "{error}");
    let error = from_slice::<Appointment>(br#"{"id": 1, "offices": []} x"#, Decoding::Tolerant)
        .expect_err("trailing characters fail");
    assert!(error.to_string().contains("trailing characters"), "{error}");
}
