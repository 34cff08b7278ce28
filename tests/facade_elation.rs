//! `ehr_sdk::elation::Client` against httpmock: client-credentials tokens with typed scopes,
//! scope checks before sending, impersonation with `X-On-Behalf-Of`, the two impersonation 401s,
//! and paging.

use ehr_sdk::Error;
use ehr_sdk::elation::api::types::{Physician, User};
use ehr_sdk::elation::{Client, NoUserId, Refusal, Resource, Scope, ScopeError, ScopeSet, UserId};
use ehr_sdk::pagination::Paginate;
use futures::TryStreamExt;
use httpmock::Method::{GET, POST};
use httpmock::{Mock, MockServer};
use serde_json::json;

const TOKEN_PATH: &str = "/api/2.0/oauth2/token/";

/// A token endpoint granting `granted` (space-separated); `None`: the answer has no `scope`.
fn token_endpoint<'a>(server: &'a MockServer, granted: Option<&str>) -> Mock<'a> {
    let mut body = json!({
        "access_token": "elation-access-token", "token_type": "Bearer",
        "expires_in": 36000, "refresh_token": "elation-refresh-token"
    });
    if let Some(granted) = granted {
        body["scope"] = json!(granted);
    }
    server.mock(|when, then| {
        when.method(POST).path(TOKEN_PATH);
        then.status(200)
            .header("content-type", "application/json")
            .json_body(body);
    })
}

fn client(server: &MockServer, scopes: ScopeSet) -> Client {
    Client::builder()
        .base_url(server.base_url())
        .client_credentials("elation-client", "elation-secret")
        .scopes(scopes)
        .build()
        .expect("client builds")
}

fn scopes(text: &str) -> ScopeSet {
    text.parse().expect("valid scope set")
}

fn users_page(ids: &[i64], next: Option<String>) -> serde_json::Value {
    json!({
        "count": 5,
        "next": next,
        "previous": null,
        "results": ids.iter().map(|id| json!({
            "id": id, "first_name": "Gary", "last_name": "Leung",
            "user_type": "physician", "is_active": true
        })).collect::<Vec<_>>()
    })
}

#[tokio::test]
async fn token_request_carries_the_grant_and_space_separated_scopes() {
    let server = MockServer::start();
    let token = server.mock(|when, then| {
        when.method(POST)
            .path(TOKEN_PATH)
            .header("content-type", "application/x-www-form-urlencoded")
            .header_missing("authorization")
            .form_urlencoded_tuple("grant_type", "client_credentials")
            .form_urlencoded_tuple("client_id", "elation-client")
            .form_urlencoded_tuple("client_secret", "elation-secret")
            .form_urlencoded_tuple(
                "scope",
                "act_as_user system/allergies.read system/allergies.write system/patients.read",
            )
            // Form-encoded: the spaces between scopes are encoded, not sent raw.
            .body_includes("scope=act_as_user+system%2Fallergies.read+");
        then.status(200).json_body(json!({
            "access_token": "elation-access-token", "token_type": "Bearer", "expires_in": 36000,
            "scope": "act_as_user system/allergies.read system/allergies.write system/patients.read"
        }));
    });
    let users = server.mock(|when, then| {
        when.method(GET)
            .path("/api/2.0/users/")
            .header("authorization", "Bearer elation-access-token");
        then.status(200).json_body(users_page(&[1], None));
    });
    let scopes = ScopeSet::builder()
        .read(Resource::Patients)
        .read(Resource::Allergies)
        .write(Resource::Allergies)
        .act_as_user()
        .build()
        .unwrap();
    let client = client(&server, scopes);

    client.users_list().send().await.expect("first call");
    client.users_list().send().await.expect("second call");

    token.assert_calls(1);
    users.assert_calls(2);
}

#[tokio::test]
async fn no_scope_is_sent_when_none_is_set() {
    let server = MockServer::start();
    let token = server.mock(|when, then| {
        when.method(POST)
            .path(TOKEN_PATH)
            .form_urlencoded_tuple("grant_type", "client_credentials")
            .body_excludes("scope=");
        then.status(200)
            .json_body(json!({"access_token": "elation-access-token", "expires_in": 36000}));
    });
    let users = server.mock(|when, then| {
        when.method(GET).path("/api/2.0/users/");
        then.status(200).json_body(users_page(&[1], None));
    });

    client(&server, ScopeSet::default())
        .users_list()
        .send()
        .await
        .expect("succeeds");

    token.assert();
    users.assert();
}

#[test]
fn apiv2_with_resource_scopes_is_refused_before_any_request() {
    assert_eq!(
        ScopeSet::builder()
            .apiv2()
            .write(Resource::VisitNotes)
            .build(),
        Err(ScopeError::ApiV2WithResourceScopes)
    );
    assert_eq!(
        "apiv2 system/patients.read".parse::<ScopeSet>(),
        Err(ScopeError::ApiV2WithResourceScopes)
    );
    assert_eq!(
        "system/patients.read system/made_up.read".parse::<ScopeSet>(),
        Err(ScopeError::Unknown("system/made_up.read".into()))
    );
}

#[tokio::test]
async fn a_call_needing_a_scope_not_granted_fails_before_sending_and_names_it() {
    let server = MockServer::start();
    // Asked for read and write; the server granted read only.
    let token = token_endpoint(&server, Some("system/patients.read"));
    let any_api_call = server.mock(|when, then| {
        when.path_includes("/api/2.0/patients/");
        then.status(200).json_body(json!({}));
    });
    let client = client(
        &server,
        scopes("system/patients.read system/patients.write"),
    );

    let error = client
        .patients_destroy()
        .id(7)
        .send()
        .await
        .expect_err("write scope not granted");

    match &error {
        Error::MissingScope {
            operation_id,
            scope,
        } => {
            assert_eq!(*operation_id, "patients_destroy");
            assert_eq!(scope, "system/patients.write");
        }
        other => panic!("expected MissingScope, got {other:?}"),
    }
    assert!(error.to_string().contains("system/patients.write"));
    // Another resource's scope is not enough either.
    let nested = client
        .visit_notes_list()
        .send()
        .await
        .expect_err("visit_notes.read not granted");
    assert!(
        matches!(&nested, Error::MissingScope { scope, .. } if scope == "system/visit_notes.read"),
        "{nested:?}"
    );
    // What the server granted is kept, not what was asked for.
    let granted = client
        .granted_scopes()
        .await
        .unwrap()
        .expect("scope in answer");
    assert!(granted.contains(Scope::read(Resource::Patients)));
    assert!(!granted.contains(Scope::write(Resource::Patients).unwrap()));
    token.assert_calls(1);
    any_api_call.assert_calls(0);
}

#[tokio::test]
async fn requests_go_out_as_the_service_account_unless_asked() {
    let server = MockServer::start();
    token_endpoint(&server, Some("apiv2 act_as_user"));
    let as_service = server.mock(|when, then| {
        when.method(GET)
            .path("/api/2.0/users/")
            .header_missing("x-on-behalf-of");
        then.status(200).json_body(users_page(&[1], None));
    });
    let as_user = server.mock(|when, then| {
        when.method(GET)
            .path("/api/2.0/users/")
            .header("x-on-behalf-of", "342");
        then.status(200).json_body(users_page(&[2], None));
    });
    let service = client(&server, scopes("apiv2 act_as_user"));
    let user: User = serde_json::from_value(json!({"id": 342})).unwrap();
    let acting = service.on_behalf_of(&user);

    acting.users_list().send().await.expect("as the user");
    acting.users_list().send().await.expect("as the user again");
    service.users_list().send().await.expect("as the service");

    assert_eq!(acting.acting_as(), Some(UserId::from(&user)));
    assert_eq!(service.acting_as(), None);
    as_user.assert_calls(2);
    as_service.assert_calls(1);
}

#[tokio::test]
async fn a_per_call_on_behalf_of_wins_over_the_clients() {
    let server = MockServer::start();
    token_endpoint(&server, Some("apiv2 act_as_user"));
    let per_call = server.mock(|when, then| {
        when.method(GET)
            .path("/api/2.0/users/")
            .header("x-on-behalf-of", "77");
        then.status(200).json_body(users_page(&[77], None));
    });
    let acting =
        client(&server, scopes("apiv2 act_as_user")).on_behalf_of(UserId::from_users_api_id(342));

    acting
        .users_list()
        .x_on_behalf_of(UserId::from_users_api_id(77))
        .send()
        .await
        .expect("per-call user");

    per_call.assert();
}

#[tokio::test]
async fn a_physician_is_acted_for_with_its_user_id_not_its_id() {
    let server = MockServer::start();
    token_endpoint(
        &server,
        Some("system/physicians.read system/visit_notes.write act_as_user"),
    );
    server.mock(|when, then| {
        when.method(GET).path("/api/2.0/physicians/131074/");
        then.status(200).json_body(json!({
            "id": 131074, "user_id": 342, "first_name": "Gary", "last_name": "Leung",
            "npi": "1234567893", "practice": 65540, "is_active": true
        }));
    });
    let with_user_id = server.mock(|when, then| {
        when.method(GET)
            .path("/api/2.0/users/")
            .header("x-on-behalf-of", "342");
        then.status(200).json_body(users_page(&[342], None));
    });
    let client = client(
        &server,
        scopes("system/physicians.read system/visit_notes.write act_as_user"),
    );

    let physician = client
        .physicians_retrieve()
        .id(131074)
        .send()
        .await
        .expect("physician")
        .into_inner();
    let user = UserId::try_from(&physician).expect("has a user id");
    assert_eq!(user.get(), 342);
    client
        .on_behalf_of(user)
        .users_list()
        .send()
        .await
        .expect("as Dr Leung");
    with_user_id.assert();

    let without: Physician = serde_json::from_value(json!({"id": 5, "user_id": null})).unwrap();
    assert_eq!(UserId::try_from(&without), Err(NoUserId));
}

#[tokio::test]
async fn impersonating_without_act_as_user_fails_before_sending() {
    let server = MockServer::start();
    let token = token_endpoint(&server, Some("system/patients.read"));
    let users = server.mock(|when, then| {
        when.path("/api/2.0/users/");
        then.status(200).json_body(users_page(&[1], None));
    });
    let acting = client(&server, scopes("system/patients.read"))
        .on_behalf_of(UserId::from_users_api_id(342));

    let error = acting.users_list().send().await.expect_err("not granted");

    assert!(
        matches!(&error, Error::MissingScope { scope, .. } if scope == "act_as_user"),
        "{error:?}"
    );
    token.assert_calls(1);
    users.assert_calls(0);
}

#[tokio::test]
async fn the_two_impersonation_401s_are_distinct_errors_and_cause_no_refresh() {
    let server = MockServer::start();
    let token = token_endpoint(&server, Some("apiv2 act_as_user"));
    let not_granted = server.mock(|when, then| {
        when.path("/api/2.0/users/").header("x-on-behalf-of", "1");
        then.status(401)
            .json_body(json!({"detail": "Token does not have act_as_user scope"}));
    });
    let not_authorized = server.mock(|when, then| {
        when.path("/api/2.0/users/").header("x-on-behalf-of", "2");
        then.status(401)
            .body("On-behalf-of user not found or not authorized");
    });
    let client = client(&server, scopes("apiv2 act_as_user"));

    let first = client
        .on_behalf_of(UserId::from_users_api_id(1))
        .users_list()
        .send()
        .await
        .expect_err("401");
    let second = client
        .on_behalf_of(UserId::from_users_api_id(2))
        .users_list()
        .send()
        .await
        .expect_err("401");

    assert!(
        matches!(
            first,
            Error::Refused {
                code: Refusal::IMPERSONATION_NOT_GRANTED,
                ..
            }
        ),
        "{first:?}"
    );
    assert_eq!(first.operation_id(), "users_list");
    assert_eq!(Refusal::of(&first), Some(Refusal::ImpersonationNotGranted));
    assert!(
        matches!(
            second,
            Error::Refused {
                code: Refusal::IMPERSONATED_USER_REJECTED,
                ..
            }
        ),
        "{second:?}"
    );
    assert_eq!(second.operation_id(), "users_list");
    assert_eq!(
        Refusal::of(&second),
        Some(Refusal::ImpersonatedUserRejected)
    );
    // Neither is a token problem: no refresh, no second attempt.
    token.assert_calls(1);
    not_granted.assert_calls(1);
    not_authorized.assert_calls(1);
}

#[tokio::test]
async fn an_ordinary_401_still_refreshes_once() {
    let server = MockServer::start();
    let token = token_endpoint(&server, None);
    let rejected = server.mock(|when, then| {
        when.path("/api/2.0/users/");
        then.status(401)
            .json_body(json!({"detail": "Invalid token."}));
    });
    let client = client(&server, ScopeSet::default());

    let error = client.users_list().send().await.expect_err("401");

    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    assert!(matches!(error, Error::Unauthorized(_)), "{error:?}");
    assert_eq!(error.vendor_message(), Some("Invalid token."));
    token.assert_calls(2);
    rejected.assert_calls(2);
}

#[tokio::test]
async fn lists_page_through_every_page_with_limit() {
    let server = MockServer::start();
    token_endpoint(&server, Some("apiv2"));
    let base = server.base_url();
    let first = server.mock(|when, then| {
        when.method(GET)
            .path("/api/2.0/users/")
            .query_param("limit", "2")
            .query_param_missing("offset");
        then.status(200).json_body(users_page(
            &[1, 2],
            Some(format!("{base}/api/2.0/users/?limit=2&offset=2")),
        ));
    });
    let second = server.mock(|when, then| {
        when.method(GET)
            .path("/api/2.0/users/")
            .query_param("limit", "2")
            .query_param("offset", "2");
        then.status(200).json_body(users_page(
            &[3, 4],
            Some(format!("{base}/api/2.0/users/?limit=2&offset=4")),
        ));
    });
    let third = server.mock(|when, then| {
        when.method(GET)
            .path("/api/2.0/users/")
            .query_param("offset", "4")
            .header("authorization", "Bearer elation-access-token");
        then.status(200).json_body(users_page(&[5], None));
    });
    let client = client(&server, scopes("apiv2"));

    let ids: Vec<i64> = client
        .users_list()
        .limit(2)
        .items()
        .map_ok(|user| user.id)
        .try_collect()
        .await
        .expect("three pages");

    assert_eq!(ids, [1, 2, 3, 4, 5]);
    first.assert();
    second.assert();
    third.assert();
}

#[tokio::test]
async fn secrets_do_not_show_in_debug_output() {
    let server = MockServer::start();
    token_endpoint(&server, Some("apiv2"));
    let users = server.mock(|when, then| {
        when.path("/api/2.0/users/");
        then.status(200).json_body(users_page(&[1], None));
    });
    let client = client(&server, scopes("apiv2"));
    client.users_list().send().await.expect("token fetched");
    users.assert();

    let debug = format!(
        "{client:?} {:?}",
        client.on_behalf_of(UserId::from_users_api_id(342))
    );
    assert!(!debug.contains("elation-secret"), "{debug}");
    assert!(!debug.contains("elation-access-token"), "{debug}");
    assert!(debug.contains("342"), "{debug}");
}

#[test]
fn a_client_needs_a_base_url_and_credentials() {
    assert!(matches!(
        Client::builder().client_credentials("id", "secret").build(),
        Err(ehr_sdk::elation::BuildError::NoBaseUrl { .. })
    ));
    assert!(matches!(
        Client::builder().sandbox().build(),
        Err(ehr_sdk::elation::BuildError::NoCredentials { .. })
    ));
}

#[tokio::test]
async fn refused_client_credentials_are_a_typed_auth_error_and_nothing_is_sent() {
    let server = MockServer::start();
    let token = server.mock(|when, then| {
        when.method(POST).path(TOKEN_PATH);
        then.status(401)
            .json_body(json!({"error": "invalid_client"}));
    });
    let users = server.mock(|when, then| {
        when.path("/api/2.0/users/");
        then.status(200).json_body(users_page(&[1], None));
    });

    let error = client(&server, scopes("apiv2"))
        .users_list()
        .send()
        .await
        .expect_err("no token");

    match &error {
        Error::Auth { source, .. } => {
            assert!(source.to_string().contains("invalid_client"), "{source}")
        }
        other => panic!("expected Auth, got {other:?}"),
    }
    assert!(!format!("{error:?} {error}").contains("elation-secret"));
    token.assert();
    users.assert_calls(0);
}

#[tokio::test]
async fn nested_endpoints_need_their_parents_scope() {
    let server = MockServer::start();
    token_endpoint(&server, Some("system/patients.read"));
    let cards = server.mock(|when, then| {
        when.method(GET)
            .path("/api/2.0/patients/7/policies/9/card-images")
            .header("authorization", "Bearer elation-access-token");
        then.status(200)
            .header("content-type", "application/octet-stream")
            .body("card bytes");
    });
    let client = client(&server, scopes("system/patients.read"));

    client
        .patients_policies_card_images_retrieve()
        .patient_id(7)
        .policy_id(9)
        .send()
        .await
        .expect("patients.read covers the card images");
    cards.assert();
}

/// The spec reaches every resource of the Token Scopes document, with the permissions it
/// gives: GET for `read`, the other methods for `write`, GET only for reference data.
#[test]
fn the_spec_reaches_every_scope_resource_with_its_permissions() {
    let spec: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../specs/elation.yaml"
        ))
        .expect("spec readable"),
    )
    .expect("spec parses");
    let paths = spec["paths"].as_mapping().expect("paths");
    for &resource in Resource::ALL {
        let prefix = format!("/api/2.0/{}/", resource.as_str());
        let methods: Vec<String> = paths
            .iter()
            .filter(|(path, _)| path.as_str().is_some_and(|p| p.starts_with(&prefix)))
            .flat_map(|(_, item)| item.as_mapping().unwrap().keys())
            .filter_map(|m| m.as_str().map(str::to_string))
            .filter(|m| ["get", "post", "put", "patch", "delete"].contains(&m.as_str()))
            .collect();
        assert!(!methods.is_empty(), "{resource}: no operation");
        if resource.is_read_only() {
            assert!(
                methods.iter().all(|m| m == "get"),
                "{resource}: {methods:?}"
            );
        }
    }
}

/// Every paged list of a scoped resource, against a token granted only that resource's `read`
/// scope: the scope the guard derives from the path is the one the document gives, the path is
/// the documented one, and the page envelope decodes.
#[tokio::test]
async fn every_scoped_list_needs_exactly_its_resources_read_scope() {
    // One server and one HTTP client for all; each resource's mocks go before the next.
    let server = MockServer::start();
    let http = ehr_sdk::builder::HttpClient::new().unwrap();
    let client = |server: &MockServer, scopes: ScopeSet| {
        Client::builder()
            .base_url(server.base_url())
            .client_credentials("elation-client", "elation-secret")
            .scopes(scopes)
            .http_client(http.clone())
            .build()
            .expect("client builds")
    };
    macro_rules! lists {
        ($($op:ident $(($arg:ident = $value:literal))? => $path:literal,)*) => { $({
            let resource = $path.trim_start_matches("/api/2.0/").split('/').next().unwrap();
            let resource = Resource::from_name(resource).expect($path);
            let read = Scope::read(resource).to_string();
            let mut token = token_endpoint(&server, Some(&read));
            let mut list = server.mock(|when, then| {
                when.method(GET).path($path).query_param("limit", "1");
                then.status(200).json_body(json!({
                    "count": 0, "next": null, "previous": null, "results": []
                }));
            });
            let reader = client(&server, scopes(&read));
            let page = reader.$op()$(.$arg($value))?.limit(1).send().await.expect(stringify!($op));
            assert!(page.results.is_empty());
            list.assert();
            token.delete();
            // And the same resource's write scope alone does not let it through.
            if let Ok(write) = Scope::write(resource) {
                let mut token = token_endpoint(&server, Some(&write.to_string()));
                let writer = client(&server, scopes(&write.to_string()));
                let error = writer.$op()$(.$arg($value))?.limit(1).send().await.expect_err(stringify!($op));
                assert!(
                    matches!(&error, Error::MissingScope { scope, .. } if *scope == read),
                    "{}: {error:?}", stringify!($op)
                );
                token.delete();
            }
            list.assert_calls(1);
            list.delete();
        })* };
    }
    lists! {
        physicians_list => "/api/2.0/physicians/",
        patients_list => "/api/2.0/patients/",
        visit_notes_list => "/api/2.0/visit_notes/",
        allergies_list => "/api/2.0/allergies/",
        allergy_documentation_list => "/api/2.0/allergy_documentation/",
        drug_intolerances_list => "/api/2.0/drug_intolerances/",
        family_histories_list => "/api/2.0/family_histories/",
        histories_list => "/api/2.0/histories/",
        immunizations_list => "/api/2.0/immunizations/",
        problems_list => "/api/2.0/problems/",
        vaccine_list => "/api/2.0/vaccine/",
        clinical_documents_list => "/api/2.0/clinical_documents/",
        discontinued_medications_list => "/api/2.0/discontinued_medications/",
        document_tags_list => "/api/2.0/document_tags/",
        incoming_files_list => "/api/2.0/incoming_files/",
        injections_list => "/api/2.0/injections/",
        letters_list => "/api/2.0/letters/",
        medication_history_download_fills_list => "/api/2.0/medication_history_download_fills/",
        medication_history_downloads_list => "/api/2.0/medication_history_downloads/",
        medication_refills_list => "/api/2.0/medication_refills/",
        medications_list => "/api/2.0/medications/",
        non_visit_notes_list => "/api/2.0/non_visit_notes/",
        patient_form_requests_list => "/api/2.0/patient_form_requests/",
        patient_form_submissions_list => "/api/2.0/patient_form_submissions/",
        patient_forms_list => "/api/2.0/patient_forms/",
        report_types_list => "/api/2.0/report_types/",
        reports_list => "/api/2.0/reports/",
        visit_note_templates_list => "/api/2.0/visit_note_templates/",
        visit_note_types_list => "/api/2.0/visit_note_types/",
        vitals_list => "/api/2.0/vitals/",
        ancillary_companies_list(type_ = "lab") => "/api/2.0/ancillary_companies/",
        cardiac_centers_list => "/api/2.0/cardiac_centers/",
        cardiac_order_tests_list => "/api/2.0/cardiac_order_tests/",
        cardiac_orders_list => "/api/2.0/cardiac_orders/",
        imaging_centers_list => "/api/2.0/imaging_centers/",
        imaging_order_tests_list => "/api/2.0/imaging_order_tests/",
        imaging_orders_list => "/api/2.0/imaging_orders/",
        lab_facility_identifiers_list => "/api/2.0/lab_facility_identifiers/",
        lab_order_compendiums_list => "/api/2.0/lab_order_compendiums/",
        lab_order_sets_list => "/api/2.0/lab_order_sets/",
        lab_order_tests_list => "/api/2.0/lab_order_tests/",
        lab_orders_list => "/api/2.0/lab_orders/",
        lab_vendor_integrations_list => "/api/2.0/lab_vendor_integrations/",
        lab_vendor_patient_sites_list => "/api/2.0/lab_vendor_patient_sites/",
        lab_vendors_list => "/api/2.0/lab_vendors/",
        pulmonary_centers_list => "/api/2.0/pulmonary_centers/",
        pulmonary_order_tests_list => "/api/2.0/pulmonary_order_tests/",
        pulmonary_orders_list => "/api/2.0/pulmonary_orders/",
        sleep_centers_list => "/api/2.0/sleep_centers/",
        sleep_order_tests_list => "/api/2.0/sleep_order_tests/",
        sleep_orders_list => "/api/2.0/sleep_orders/",
        message_threads_list => "/api/2.0/message_threads/",
        thread_members_list => "/api/2.0/thread_members/",
        thread_messages_list => "/api/2.0/thread_messages/",
        appointment_types_list => "/api/2.0/appointment_types/",
        appointments_list => "/api/2.0/appointments/",
        appointments_rooms_list => "/api/2.0/appointments/rooms/",
        recurring_event_groups_list => "/api/2.0/recurring_event_groups/",
        insurance_companies_list => "/api/2.0/insurance_companies/",
        insurance_plans_list => "/api/2.0/insurance_plans/",
        billing_codes_list => "/api/2.0/billing_codes/",
        bills_list => "/api/2.0/bills/",
        contacts_list => "/api/2.0/contacts/",
        contacts_search_list => "/api/2.0/contacts/search/",
        delegate_permissions_list => "/api/2.0/delegate_permissions/",
        handouts_list => "/api/2.0/handouts/",
        medication_order_templates_list => "/api/2.0/medication_order_templates/",
        office_staff_list => "/api/2.0/office_staff/",
        practice_medications_list => "/api/2.0/practice_medications/",
        practices_list => "/api/2.0/practices/",
        print_headers_list => "/api/2.0/print_headers/",
        service_locations_list => "/api/2.0/service_locations/",
        staff_groups_list => "/api/2.0/staff_groups/",
        languages_list => "/api/2.0/languages/",
        packaged_medication_labelers_list => "/api/2.0/packaged_medication_labelers/",
        packaged_medications_list => "/api/2.0/packaged_medications/",
        pharmacies_list => "/api/2.0/pharmacies/",
        reference_medications_list => "/api/2.0/reference_medications/",
    }
}

#[tokio::test]
async fn a_per_call_on_behalf_of_is_sent_with_every_next_page_too() {
    let server = MockServer::start();
    let page_2 = server.url("/api/2.0/users/?limit=2&offset=2");
    let first = server.mock(|when, then| {
        when.method(GET)
            .path("/api/2.0/users/")
            .query_param_missing("offset")
            .header("x-on-behalf-of", "342");
        then.status(200)
            .json_body(users_page(&[1, 2], Some(page_2)));
    });
    let second = server.mock(|when, then| {
        when.method(GET)
            .path("/api/2.0/users/")
            .query_param("offset", "2")
            .header("x-on-behalf-of", "342");
        then.status(200).json_body(users_page(&[3], None));
    });
    let client = Client::builder()
        .base_url(server.base_url())
        .token_source(ehr_sdk::auth::StaticToken::with_scope(
            "t",
            "system/users.read act_as_user",
        ))
        .build()
        .unwrap();

    let ids: Vec<i64> = client
        .users_list()
        .limit(2)
        .x_on_behalf_of(342)
        .items()
        .map_ok(|u| u.id)
        .try_collect()
        .await
        .expect("both pages as user 342");

    assert_eq!(ids, [1, 2, 3]);
    first.assert_calls(1);
    second.assert_calls(1);
}
