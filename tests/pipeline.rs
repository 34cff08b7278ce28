//! The pipeline's stages as a vendor extends them: a vendor's own retry classes, through the
//! public `FacadeTransport` and `CallGuard` a vendor module is built from.

use std::time::Duration;

use ehr_sdk::drchrono::api::Client;
use ehr_sdk::pipeline::{CallGuard, Credentials, FacadeTransport, Origin};
use ehr_sdk::retry::{RetryClass, RetryPolicy};
use ehr_sdk::runtime::Runtime;
use ehr_tests::{Reply, ScriptedServer};

const EMPTY_PAGE: &str = r#"{"next": null, "previous": null, "results": []}"#;

/// A vendor that documents its 500 as temporary and its 503 as final.
#[derive(Debug)]
struct Documented;

impl CallGuard for Documented {
    fn retry_class(&self, response: &reqwest::Response) -> Option<RetryClass> {
        match response.status().as_u16() {
            500 => Some(RetryClass::Transient),
            503 => Some(RetryClass::Final),
            _ => None,
        }
    }
}

fn client(base_url: &str, guard: Option<Documented>) -> Client {
    let mut transport = FacadeTransport::new(Origin::parse(base_url).unwrap(), Credentials::None)
        .retry(RetryPolicy {
            max_attempts: 3,
            max_elapsed: Duration::from_secs(20),
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        });
    if let Some(guard) = guard {
        transport = transport.guard(guard);
    }
    Client::with_runtime(
        base_url,
        Runtime::new(ehr_sdk::runtime::default_http_client(), transport),
    )
}

fn page() -> Reply {
    Reply::json(200, serde_json::from_str(EMPTY_PAGE).unwrap())
}

#[tokio::test]
async fn a_vendors_retry_class_makes_its_documented_500_transient() {
    let server = ScriptedServer::start(vec![Reply::empty(500), page()]).await;
    let client = client(&server.base_url, Some(Documented));

    client
        .doctors_list()
        .send()
        .await
        .expect("the 500 was retried");

    assert_eq!(server.received().len(), 2);
}

#[tokio::test]
async fn without_the_vendors_class_a_500_is_final() {
    let server = ScriptedServer::start(vec![Reply::empty(500), page()]).await;
    let client = client(&server.base_url, None);

    let err = client
        .doctors_list()
        .send()
        .await
        .expect_err("500 is final");

    assert_eq!(
        err.status(),
        Some(reqwest::StatusCode::INTERNAL_SERVER_ERROR)
    );
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn a_vendors_final_class_stops_the_standard_retry_of_503() {
    let server = ScriptedServer::start(vec![Reply::empty(503), page()]).await;
    let client = client(&server.base_url, Some(Documented));

    let err = client
        .doctors_list()
        .send()
        .await
        .expect_err("503 is final here");

    assert_eq!(err.status(), Some(reqwest::StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn a_vendors_transient_class_still_never_sends_a_post_twice() {
    let server = ScriptedServer::start(vec![
        Reply::empty(500),
        Reply::json(201, serde_json::json!({"id": 1})),
    ])
    .await;
    let client = client(&server.base_url, Some(Documented));
    let body = ehr_sdk::drchrono::api::types::PatientCreate::builder()
        .doctor(5)
        .gender(ehr_sdk::drchrono::api::types::GenderKnown::Female);

    let err = client
        .patients_create()
        .body(body)
        .send()
        .await
        .expect_err("a POST that reached the server is not sent again");

    assert_eq!(
        err.status(),
        Some(reqwest::StatusCode::INTERNAL_SERVER_ERROR)
    );
    assert_eq!(server.received().len(), 1);
}
