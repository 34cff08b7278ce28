//! DrChrono's rule that `""` in an optional field means absent, one test per kind of field,
//! decoded from the response bytes as they arrive (the generated types read `""` themselves).

use ehr_sdk::drchrono::api::types::{
    Appointment, AppointmentCreate, BillingProfile, Gender, LabTest, PaginatedPatientList, Patient,
};
use serde_json::json;

fn patient(fields: serde_json::Value) -> Patient {
    let mut body = json!({ "id": 7 });
    body.as_object_mut()
        .unwrap()
        .extend(fields.as_object().unwrap().clone());
    ehr_drchrono::from_json(body.to_string().as_bytes()).expect("the patient decodes")
}

#[test]
fn blank_integer_is_absent_and_a_number_is_kept() {
    assert_eq!(patient(json!({ "doctor": "" })).doctor, None);
    assert_eq!(patient(json!({ "doctor": 5 })).doctor, Some(5));
}

#[test]
fn blank_number_is_absent_and_a_number_is_kept() {
    let lab = |v: serde_json::Value| -> LabTest {
        ehr_drchrono::from_json(
            json!({ "id": 1, "specimen_total_volume": v })
                .to_string()
                .as_bytes(),
        )
        .expect("the lab test decodes")
    };
    assert_eq!(lab(json!("")).specimen_total_volume, None);
    assert_eq!(lab(json!(2.5)).specimen_total_volume, Some(2.5));
}

#[test]
fn blank_boolean_is_absent_and_false_is_kept() {
    assert_eq!(
        patient(json!({ "disable_sms_messages": "" })).disable_sms_messages,
        None
    );
    assert_eq!(
        patient(json!({ "disable_sms_messages": false })).disable_sms_messages,
        Some(false)
    );
}

#[test]
fn blank_date_is_absent_and_a_date_is_kept() {
    assert_eq!(patient(json!({ "date_of_birth": "" })).date_of_birth, None);
    assert_eq!(
        patient(json!({ "date_of_birth": "1980-04-12" })).date_of_birth,
        chrono::NaiveDate::from_ymd_opt(1980, 4, 12)
    );
}

#[test]
fn blank_timestamp_is_absent_and_a_timestamp_is_kept() {
    // DrChrono's timestamps carry no zone: the spec keeps them as strings.
    assert_eq!(patient(json!({ "created_at": "" })).created_at, None);
    assert_eq!(
        patient(json!({ "created_at": "2014-02-24T15:32:19" }))
            .created_at
            .as_deref(),
        Some("2014-02-24T15:32:19")
    );
}

#[test]
fn blank_enum_is_absent_and_a_value_is_kept() {
    assert!(patient(json!({ "gender": "" })).gender.is_none());
    let gender = patient(json!({ "gender": "Female" })).gender;
    assert!(matches!(gender, Some(Gender::GenderKnown(_))), "{gender:?}");
    assert_eq!(gender.unwrap().to_string(), "Female");
}

#[test]
fn blank_object_is_absent_and_an_object_is_kept() {
    assert!(
        patient(json!({ "primary_insurance": "" }))
            .primary_insurance
            .is_none()
    );
    let kept = patient(json!({ "primary_insurance": { "insurance_company": "Acme" } }));
    assert!(kept.primary_insurance.is_some());
}

#[test]
fn blank_optional_string_is_absent_and_text_is_kept() {
    assert_eq!(patient(json!({ "first_name": "" })).first_name, None);
    assert_eq!(
        patient(json!({ "first_name": " " })).first_name.as_deref(),
        Some(" ")
    );
}

#[test]
fn a_required_string_keeps_its_blank_value() {
    let appointment: Appointment =
        ehr_drchrono::from_json(br#"{"id": ""}"#).expect("a required string may be blank");
    assert_eq!(appointment.id, "");
}

#[test]
fn array_elements_stay_blank() {
    let profile: BillingProfile =
        ehr_drchrono::from_json(br#"{"id": 1, "icd10_codes": ["", "I10"], "icd9_codes": ""}"#)
            .expect("the billing profile decodes");
    assert_eq!(
        profile.icd10_codes,
        Some(vec![String::new(), "I10".to_string()])
    );
    assert_eq!(profile.icd9_codes, None);
}

#[test]
fn a_blank_is_not_a_licence_for_other_wrong_values() {
    use ehr_runtime::decode::{Decoding, from_slice};
    let wrong = br#"{"id": 7, "doctor": "five"}"#;
    // Strict: a word is not an integer.
    let error = from_slice::<Patient>(wrong, Decoding::Strict).expect_err("strict refuses it");
    assert!(error.is_data(), "{error}");
    // Tolerant (what clients do unless told otherwise): the field is left out and reported,
    // unlike `""`, which is simply absent.
    let (patient, left_out) = from_slice::<Patient>(wrong, Decoding::Tolerant).unwrap();
    assert_eq!(patient.doctor, None);
    assert_eq!(left_out.len(), 1);
    assert_eq!(
        left_out[0].to_string(),
        "$.doctor: expected i64, found string"
    );
    let (_, left_out) =
        from_slice::<Patient>(br#"{"id": 7, "doctor": ""}"#, Decoding::Tolerant).unwrap();
    assert!(left_out.is_empty());
}

#[test]
fn a_required_nullable_field_is_not_blank_absent() {
    // `patient` must be sent and may be null (breaks have none); the blank rule is for
    // optional fields only, so `""` is still not an ID.
    let create = |patient: &str| {
        let body = format!(
            r#"{{"doctor": 1, "exam_room": 1, "office": 2, "scheduled_time": "2014-02-24T15:32:19"{patient}}}"#
        );
        ehr_drchrono::from_json::<AppointmentCreate>(body.as_bytes())
    };
    assert_eq!(create(r#", "patient": null"#).unwrap().patient, None);
    assert_eq!(create(r#", "patient": 9"#).unwrap().patient, Some(9));
    assert!(create(r#", "patient": """#).is_err());
    assert!(create("").is_err(), "a required field stays required");
}

#[test]
fn objects_in_an_array_follow_the_rule_and_so_does_the_page() {
    // A page's own optional `next`, and the optional fields of each patient in `results`.
    let page: PaginatedPatientList = ehr_drchrono::from_json(
        br#"{"next": "", "previous": null, "results": [{"id": 1, "doctor": "", "date_of_birth": ""}, {"id": 2, "doctor": 4}]}"#,
    )
    .expect("the page decodes");
    assert_eq!((page.next, page.previous), (None, None));
    assert_eq!(page.results[0].doctor, None);
    assert_eq!(page.results[0].date_of_birth, None);
    assert_eq!(page.results[1].doctor, Some(4));
}
