//! `ehr-elation` against httpmock: what goes on the wire and what comes back.

use ehr_sdk::elation::api::{Client, types};
use ehr_tests::bearer_runtime;
use httpmock::Method::{GET, POST};
use httpmock::MockServer;

#[tokio::test]
async fn token_request_is_form_encoded_with_space_separated_scopes() {
    let server = MockServer::start();
    let mock = server.mock(|when, then| {
        when.method(POST)
            .path("/api/2.0/oauth2/token/")
            .header("content-type", "application/x-www-form-urlencoded")
            .header_missing("authorization")
            // Spaces between scopes are URL-encoded in the body.
            .body_includes("scope=system%2Fpatients.read+act_as_user")
            .form_urlencoded_tuple("grant_type", "client_credentials")
            .form_urlencoded_tuple("client_id", "cid")
            .form_urlencoded_tuple("client_secret", "s3cret")
            .form_urlencoded_tuple("scope", "system/patients.read act_as_user");
        then.status(200).json_body(serde_json::json!({
            "access_token": "at", "token_type": "Bearer", "expires_in": 36000,
            "refresh_token": "rt", "scope": "system/patients.read act_as_user"
        }));
    });
    let client = Client::with_runtime(&server.base_url(), ehr_runtime::Runtime::direct());

    let token = client
        .oauth2_token_create()
        .body(
            types::OAuth2TokenRequest::builder()
                .grant_type(types::OAuth2TokenRequestGrantType::ClientCredentials)
                .client_id("cid")
                .client_secret("s3cret")
                .scope(Some("system/patients.read act_as_user".to_string())),
        )
        .send()
        .await
        .expect("token decodes")
        .into_inner();

    mock.assert();
    assert_eq!(token.access_token, "at");
    assert_eq!(token.expires_in, Some(36000));
    assert_eq!(
        token.scope.as_deref(),
        Some("system/patients.read act_as_user")
    );
}

#[tokio::test]
async fn on_behalf_of_header_is_sent_only_when_set() {
    let server = MockServer::start();
    let physician = serde_json::json!({
        "id": 131074, "user_id": 342, "first_name": "Gary", "last_name": "Leung",
        "npi": "1234567893", "practice": 65540, "is_active": true
    });
    let as_user = server.mock(|when, then| {
        when.method(GET)
            .path("/api/2.0/physicians/131074/")
            .header("x-on-behalf-of", "342")
            .header("authorization", "Bearer at");
        then.status(200).json_body(physician.clone());
    });
    let as_service = server.mock(|when, then| {
        when.method(GET)
            .path("/api/2.0/physicians/131074/")
            .header_missing("x-on-behalf-of");
        then.status(200).json_body(physician.clone());
    });
    let client = Client::with_runtime(&server.base_url(), bearer_runtime("at").0);

    let acted = client
        .physicians_retrieve()
        .id(131074)
        .x_on_behalf_of(342)
        .send()
        .await
        .expect("decodes")
        .into_inner();
    let plain = client
        .physicians_retrieve()
        .id(131074)
        .send()
        .await
        .expect("decodes")
        .into_inner();

    as_user.assert_calls(1);
    as_service.assert_calls(1);
    // The physician record carries both ids; only `user_id` identifies the user.
    assert_eq!(acted.id, 131074);
    assert_eq!(acted.user_id, Some(342));
    assert_eq!(plain.npi.as_deref(), Some("1234567893"));
}

#[tokio::test]
async fn users_list_sends_limit_offset_and_decodes_the_count_envelope() {
    let server = MockServer::start();
    let mock = server.mock(|when, then| {
        when.method(GET)
            .path("/api/2.0/users/")
            .query_param("limit", "2")
            .query_param("offset", "4");
        then.status(200).json_body(serde_json::json!({
            "count": 7,
            "next": "https://sandbox.elationemr.com/api/2.0/users/?limit=2&offset=6",
            "previous": "https://sandbox.elationemr.com/api/2.0/users/?limit=2&offset=2",
            "results": [
                {"id": 342, "first_name": "Gary", "last_name": "Leung",
                 "user_type": "physician", "is_active": true},
                {"id": 343, "first_name": "Pat", "last_name": "Kim",
                 "user_type": "some-future-type", "is_active": false, "email": null}
            ]
        }));
    });
    let client = Client::with_runtime(&server.base_url(), bearer_runtime("at").0);

    let page = client
        .users_list()
        .limit(2)
        .offset(4)
        .send()
        .await
        .expect("page decodes")
        .into_inner();

    mock.assert();
    assert_eq!(page.count, Some(7));
    assert!(
        page.next
            .as_deref()
            .is_some_and(|n| n.ends_with("offset=6"))
    );
    assert_eq!(
        page.results.iter().map(|u| u.id).collect::<Vec<_>>(),
        [342, 343]
    );
    assert!(
        matches!(&page.results[1].user_type, Some(types::UserType::Other(t)) if t == "some-future-type")
    );
    assert_eq!(page.results[1].email, None);
}

#[tokio::test]
async fn visit_note_create_posts_json_as_the_impersonated_user() {
    let server = MockServer::start();
    let mock = server.mock(|when, then| {
        when.method(POST)
            .path("/api/2.0/visit_notes/")
            .header("x-on-behalf-of", "342")
            .header("content-type", "application/json")
            .json_body_includes(r#"{"patient": 64058, "physician": 131074, "template": "SOAP"}"#)
            .json_body_includes(
                r#"{"bullets": [{"category": "Hpi", "text": "Headache for 2 days"}]}"#,
            );
        then.status(201).json_body(serde_json::json!({
            "id": 9001, "patient": 64058, "physician": 131074, "template": "SOAP",
            "chart_date": "2024-05-01T10:00:00Z", "document_date": "2024-05-01T10:00:00Z",
            "bullets": [{"category": "Hpi", "text": "Headache for 2 days"}]
        }));
    });
    let client = Client::with_runtime(&server.base_url(), bearer_runtime("at").0);

    let note = client
        .visit_notes_create()
        .x_on_behalf_of(342)
        .body(
            types::VisitNoteInput::builder()
                .patient(64058)
                .physician(131074)
                .template(types::VisitNoteTemplateKnown::Soap)
                .chart_date("2024-05-01T10:00:00Z")
                .document_date("2024-05-01T10:00:00Z")
                .bullets(vec![types::VisitNoteBulletInput {
                    author: None,
                    category: types::BulletCategoryKnown::Hpi,
                    sequence: None,
                    text: "Headache for 2 days".parse().expect("valid bullet text"),
                }]),
        )
        .send()
        .await
        .expect("201 decodes")
        .into_inner();

    mock.assert();
    assert_eq!(note.id, 9001);
}

#[tokio::test]
async fn patients_list_sends_the_filters_of_the_portal_export() {
    let server = MockServer::start();
    let mock = server.mock(|when, then| {
        when.method(GET)
            .path("/api/2.0/patients/")
            .query_param("practice", "65540,65541")
            .query_param("insurance_company", "12")
            .query_param("member_id", "M-1")
            .query_param("last_name", "Leung");
        then.status(200).json_body(serde_json::json!({
            "count": 0, "next": null, "previous": null, "results": []
        }));
    });
    let client = Client::with_runtime(&server.base_url(), ehr_runtime::Runtime::direct());

    let page = client
        .patients_list()
        .practice("65540,65541")
        .insurance_company(12)
        .member_id("M-1")
        .last_name("Leung")
        .send()
        .await
        .expect("empty page decodes");

    mock.assert();
    assert_eq!(page.count, Some(0));
}
