//! `ehr_sdk::empego::Client` against httpmock, as a caller uses it: the API key, the session
//! user's `x-integration-user` header (the document's three examples byte for byte), the URL
//! read from every form of answer, and the documented refusals as cases to match on.

use ehr_sdk::Error;
use ehr_sdk::builder::BuildError;
use ehr_sdk::empego::api::types::ErrorBody;
use ehr_sdk::empego::{
    Client, GetEmbeddableUrl, IntegrationUser, Language, Refusal, UserHeaderError,
};
use httpmock::Method::GET;
use httpmock::{Mock, MockServer};
use serde_json::json;

const KEY: &str = "empego-api-key-7f3a";
const VIEW: &str = "/empego-integrations/R4/embeddable/consultation/view";
const SESSION_URL: &str = "https://app.empego.ca/embed/consultation?session=sess-91c2";

/// The document's three `x-integration-user` examples: the user, and the header it shows.
fn documented_examples() -> [(IntegrationUser, &'static str); 3] {
    [
        (
            IntegrationUser::existing("existing_user_123"),
            "eyJ1c2VySWQiOiJleGlzdGluZ191c2VyXzEyMyJ9",
        ),
        (
            IntegrationUser::new_user(
                "new_user_456",
                "Dr. Alice",
                "Johnson",
                "alice.johnson@clinic.com",
            )
            .license_number("MD789123")
            .preferred_language(Language::En),
            "eyJ1c2VySWQiOiJuZXdfdXNlcl80NTYiLCJmaXJzdE5hbWUiOiJEci4gQWxpY2UiLCJsYXN0TmFtZSI6IkpvaG5zb24iLCJlbWFpbCI6ImFsaWNlLmpvaG5zb25AY2xpbmljLmNvbSIsImxpY2Vuc2VOdW1iZXIiOiJNRDc4OTEyMyIsInByZWZlcnJlZExhbmd1YWdlIjoiRU4ifQ==",
        ),
        (
            IntegrationUser::clone_of_key_owner("emp456"),
            "eyJ1c2VySWQiOiJlbXA0NTYifQ==",
        ),
    ]
}

fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.base_url())
        .api_key(KEY)
        .build()
        .expect("client builds")
}

/// `GET /consultation/view` answering `SESSION_URL` as text, whatever identity is sent.
fn view_answering_text(server: &MockServer) -> Mock<'_> {
    server.mock(|when, then| {
        when.method(GET).path(VIEW).header("api-key", KEY);
        then.status(200)
            .header("content-type", "text/plain;charset=UTF-8")
            .body(SESSION_URL);
    })
}

/// A documented Spring error body.
fn spring_error(status: u16, error: &str, message: &str) -> serde_json::Value {
    json!({
        "timestamp": "2025-01-15T14:30:00.123Z", "status": status, "error": error,
        "message": message, "path": VIEW
    })
}

#[tokio::test]
async fn without_a_user_the_session_is_the_key_owners_and_no_identity_header_is_sent() {
    let server = MockServer::start();
    let with_identity = server.mock(|when, then| {
        when.method(GET)
            .path(VIEW)
            .header_exists("x-integration-user");
        then.status(500);
    });
    let view = server.mock(|when, then| {
        when.method(GET)
            .path(VIEW)
            .header("api-key", KEY)
            .header_missing("x-integration-user")
            .query_param("patientKey", "patient123")
            .query_param("locale", "en");
        then.status(200)
            .header("content-type", "text/plain")
            .body(SESSION_URL);
    });

    let url = client(&server)
        .consultation_view()
        .patient_key("patient123")
        .locale("en")
        .url()
        .await
        .expect("the URL");

    assert_eq!(url.as_str(), SESSION_URL);
    assert_eq!(url.origin(), "https://app.empego.ca");
    view.assert();
    with_identity.assert_calls(0);
}

#[tokio::test]
async fn each_documented_user_is_sent_as_the_documents_exact_header() {
    let server = MockServer::start();
    let client = client(&server);
    for (user, header) in documented_examples() {
        assert_eq!(user.to_header().unwrap(), header);
        let mut view = server.mock(|when, then| {
            when.method(GET)
                .path(VIEW)
                .header("api-key", KEY)
                .header("x-integration-user", header);
            then.status(200)
                .header("content-type", "text/plain")
                .body(SESSION_URL);
        });

        let as_user = client.as_user(&user).expect("encodable");
        assert_eq!(as_user.acting_as(), Some(user.user_id()));
        let url = as_user
            .consultation_view()
            .patient_key("patient123")
            .url()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", user.user_id()));

        assert_eq!(url.as_str(), SESSION_URL);
        view.assert();
        view.delete();
    }
}

#[tokio::test]
async fn a_copy_acting_for_another_user_replaces_the_clients_user() {
    let server = MockServer::start();
    let [(client_user, client_header), (call_user, call_header), _] = documented_examples();
    let as_client_user = server.mock(|when, then| {
        when.method(GET)
            .path(VIEW)
            .header("x-integration-user", client_header);
        then.status(200).body("https://app.empego.ca/embed/wrong");
    });
    let as_call_user = server.mock(|when, then| {
        when.method(GET)
            .path(VIEW)
            .header("x-integration-user", call_header);
        then.status(200)
            .header("content-type", "text/plain")
            .body(SESSION_URL);
    });

    let scoped = client(&server).as_user(&client_user).unwrap();
    // Another user for one call: a copy of the scoped client acting for that user.
    let url = scoped
        .as_user(&call_user)
        .unwrap()
        .consultation_view()
        .patient_key("patient123")
        .url()
        .await
        .expect("the URL");

    assert_eq!(url.as_str(), SESSION_URL);
    as_call_user.assert();
    as_client_user.assert_calls(0);
}

#[tokio::test]
async fn a_user_that_cannot_be_encoded_is_refused_before_sending() {
    let server = MockServer::start();
    let any = server.mock(|when, then| {
        when.any_request();
        then.status(200).body(SESSION_URL);
    });
    let client = client(&server);

    let blank = IntegrationUser::existing("");
    assert_eq!(
        client.as_user(&blank).unwrap_err(),
        UserHeaderError::EmptyUserId
    );
    let broken = IntegrationUser::update("u1").first_name("Jane\nSmith");
    assert_eq!(
        client.as_user(&broken).unwrap_err().to_string(),
        "the integration user's firstName holds a control character"
    );
    any.assert_calls(0);
}

#[tokio::test]
async fn documented_refusals_are_cases_to_match_on_with_the_spring_body_typed() {
    let server = MockServer::start();
    let cases = [
        (
            "bad-header",
            400,
            spring_error(
                400,
                "Bad Request",
                "Invalid x-integration-user header format",
            ),
        ),
        (
            "incomplete",
            400,
            spring_error(
                400,
                "Bad Request",
                "User creation failed - missing required fields",
            ),
        ),
        (
            "bad-key",
            401,
            spring_error(401, "Unauthorized", "Authentication failed"),
        ),
        (
            "other",
            400,
            spring_error(400, "Bad Request", "locale must be fr or en"),
        ),
    ];
    for (patient, status, body) in &cases {
        server.mock(|when, then| {
            when.method(GET)
                .path(VIEW)
                .query_param("patientKey", *patient);
            then.status(*status)
                .header("content-type", "application/json")
                .json_body(body.clone());
        });
    }
    let client = client(&server);
    let call = |patient: &'static str| {
        let client = client.clone();
        async move {
            client
                .consultation_view()
                .patient_key(patient)
                .url()
                .await
                .unwrap_err()
        }
    };

    let error = call("bad-header").await;
    assert!(
        matches!(
            error,
            Error::Refused {
                code: Refusal::INVALID_USER_HEADER,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "consultation_view: 400 Bad Request: Invalid x-integration-user header format"
    );
    let body: ErrorBody = error.vendor_body().expect("the Spring body");
    assert_eq!(body.status, Some(400));
    assert_eq!(body.path.as_deref(), Some(VIEW));

    let error = call("incomplete").await;
    assert!(
        matches!(
            error,
            Error::Refused {
                code: Refusal::USER_CREATION_FAILED,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.vendor_message(),
        Some("User creation failed - missing required fields")
    );

    let error = call("bad-key").await;
    assert!(
        matches!(
            error,
            Error::Refused {
                code: Refusal::AUTHENTICATION_FAILED,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(
        error.to_string(),
        "consultation_view: 401 Unauthorized: Authentication failed"
    );

    let error = call("other").await;
    assert!(matches!(error, Error::Validation(_)), "{error:?}");
    assert_eq!(error.vendor_message(), Some("locale must be fr or en"));
}

#[tokio::test]
async fn the_url_is_read_from_text_and_json_answers() {
    let server = MockServer::start();
    let answers = [
        ("text", "text/plain", SESSION_URL.to_string()),
        (
            "iframe",
            "application/json",
            json!({"iframeUrl": SESSION_URL}).to_string(),
        ),
        (
            "url",
            "application/json;charset=UTF-8",
            json!({"url": SESSION_URL, "expiresIn": 300}).to_string(),
        ),
    ];
    for (patient, content_type, body) in &answers {
        server.mock(|when, then| {
            when.method(GET)
                .path(VIEW)
                .query_param("patientKey", *patient);
            then.status(200)
                .header("content-type", *content_type)
                .body(body);
        });
    }
    let client = client(&server);

    for (patient, content_type, _) in answers {
        let url = client
            .consultation_view()
            .patient_key(patient)
            .url()
            .await
            .unwrap_or_else(|e| panic!("{content_type}: {e}"));
        assert_eq!(url.as_str(), SESSION_URL, "{content_type}");
    }
}

#[tokio::test]
async fn an_answer_that_is_not_a_url_is_a_typed_decode_error() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET)
            .path(VIEW)
            .query_param("patientKey", "html");
        then.status(200)
            .header("content-type", "text/html")
            .body("<html><body>Patient Jane Doe</body></html>");
    });
    server.mock(|when, then| {
        when.method(GET)
            .path(VIEW)
            .query_param("patientKey", "json");
        then.status(200)
            .header("content-type", "application/json")
            .json_body(json!({"sessionId": "s-1"}));
    });
    let client = client(&server);

    let error = client
        .consultation_view()
        .patient_key("html")
        .url()
        .await
        .unwrap_err();
    let Error::Decode { status, source, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(status.as_u16(), 200);
    assert!(source.reason.contains("`text/html`"), "{source}");
    assert!(!error.to_string().contains("Jane"), "{error}");

    let error = client
        .consultation_view()
        .patient_key("json")
        .url()
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("without `iframeUrl` or `url`"),
        "{error}"
    );
    assert!(!error.to_string().contains("s-1"), "{error}");
}

#[tokio::test]
async fn every_embeddable_endpoint_answers_url() {
    let server = MockServer::start();
    let any = server.mock(|when, then| {
        when.method(GET)
            .path_prefix("/empego-integrations/R4/embeddable/")
            .header("api-key", KEY);
        then.status(200)
            .header("content-type", "text/plain")
            .body(SESSION_URL);
    });
    let c = client(&server);

    let urls = [
        c.consultation_view().patient_key("p").url().await,
        c.consultation_dashboard().url().await,
        c.consultation_specific().url().await,
        c.consultation_answer().url().await,
        c.followup_view().url().await,
        c.followup_dashboard().url().await,
        c.followup_specific().url().await,
        c.followup_plan().url().await,
        c.administration_franchise_management().url().await,
        c.administration_franchise_onboarding().url().await,
        c.administration_franchise_offboarding().url().await,
        c.statistics_dashboard().locale("fr").url().await,
    ];

    for url in urls {
        assert_eq!(url.expect("the URL").as_str(), SESSION_URL);
    }
    any.assert_calls(12);
}

#[tokio::test]
async fn the_tenant_key_goes_on_every_call_and_a_call_may_choose_another() {
    let server = MockServer::start();
    let default_tenant = server.mock(|when, then| {
        when.method(GET)
            .path(VIEW)
            .header("x-tenant-key", "franchise-a");
        then.status(200)
            .header("content-type", "text/plain")
            .body(SESSION_URL);
    });
    let other_tenant = server.mock(|when, then| {
        when.method(GET)
            .path(VIEW)
            .header("x-tenant-key", "franchise-b");
        then.status(200)
            .header("content-type", "text/plain")
            .body(SESSION_URL);
    });
    let client = Client::builder()
        .base_url(server.base_url())
        .api_key(KEY)
        .tenant_key("franchise-a")
        .build()
        .unwrap();

    client
        .consultation_view()
        .patient_key("p")
        .url()
        .await
        .unwrap();
    client
        .consultation_view()
        .patient_key("p")
        .x_tenant_key("franchise-b")
        .url()
        .await
        .unwrap();

    default_tenant.assert_calls(1);
    other_tenant.assert_calls(1);
}

#[test]
fn the_builder_defaults_to_the_documented_host_and_needs_a_key() {
    let client = Client::builder().api_key(KEY).build().unwrap();
    assert!(
        format!("{client:?}").contains("base_url: \"https://api.empego.ca\""),
        "{client:?}"
    );
    let error = Client::builder().build().unwrap_err();
    assert!(matches!(error, BuildError::NoCredentials { .. }), "{error}");
    assert_eq!(error.to_string(), "no Empego credentials: call .api_key(…)");
    let error = Client::builder()
        .base_url("https://api.empego.ca/empego-integrations/R4")
        .api_key(KEY)
        .build()
        .unwrap_err();
    assert!(matches!(error, BuildError::BaseUrl { .. }), "{error}");
    let error = Client::builder()
        .api_key("key\nwith a break")
        .build()
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the API key cannot be sent: it is not a valid header value"
    );
}

#[tokio::test]
async fn no_key_user_or_url_in_debug_or_traces() {
    let traces = ehr_tests::TraceCapture::global();
    let server = MockServer::start();
    view_answering_text(&server);
    server.mock(|when, then| {
        when.method(GET)
            .path("/empego-integrations/R4/embeddable/statistics")
            .header("api-key", KEY);
        then.status(401)
            .header("content-type", "application/json")
            .json_body(spring_error(401, "Unauthorized", "Authentication failed"));
    });
    let builder = Client::builder()
        .base_url(server.base_url())
        .api_key(KEY)
        .tenant_key("tenant-secret-1");
    let printed_builder = format!("{builder:?}");
    let client = builder.build().unwrap();
    let user = IntegrationUser::new_user("u-42", "Jane", "Smith", "jane@clinic.example");
    let as_user = client.as_user(&user).unwrap();

    let url = as_user
        .consultation_view()
        .patient_key("patient-77")
        .url()
        .await
        .unwrap();
    let error = as_user.statistics_dashboard().url().await.unwrap_err();

    let header = user.to_header().unwrap();
    let printed = [
        printed_builder,
        format!("{client:?}"),
        format!("{as_user:?}"),
        format!("{user:?}"),
        format!("{url:?}"),
        format!("{error:?}"),
        error.to_string(),
    ];
    for text in printed
        .iter()
        .map(String::as_str)
        .chain([traces.text().as_str()])
    {
        for secret in [
            KEY,
            "tenant-secret-1",
            header.as_str(),
            "sess-91c2",
            "jane@clinic.example",
            "Jane",
            "patient-77",
        ] {
            assert!(!text.contains(secret), "`{secret}` printed in: {text}");
        }
    }
    let text = traces.text();
    // Traced with the vendor's status (not the 599 that carries the error).
    assert!(
        text.lines().any(|l| l.contains("ehr call finished")
            && l.contains("operation_id=\"statistics_dashboard\"")
            && l.contains("status=401")),
        "the call was traced: {text}"
    );
}
