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

// --- token endpoints go through the same stages ------------------------------------------

fn expired_drchrono_client(base_url: &str) -> ehr_sdk::drchrono::Client {
    let expired =
        ehr_sdk::auth::TokenSet::from_response("at1".into(), Some(-10), Some("rt1".into()));
    ehr_sdk::drchrono::Client::builder()
        .base_url(base_url)
        .oauth("cid", "client-secret", "https://app.example/cb")
        .token_store(ehr_sdk::auth::MemoryTokenStore::with(expired))
        .build()
        .expect("client builds")
}

#[tokio::test]
async fn a_refresh_token_grant_that_reached_the_server_is_never_sent_twice() {
    let server = ScriptedServer::start(vec![
        Reply::empty(429).header("retry-after", "0"),
        Reply::json(
            200,
            serde_json::json!({"access_token": "at2", "refresh_token": "rt2", "expires_in": 3600}),
        ),
        page(),
    ])
    .await;
    let client = expired_drchrono_client(&server.base_url);

    let err = client
        .doctors_list()
        .send()
        .await
        .expect_err("the spent refresh token is not sent again");

    assert!(
        matches!(err, ehr_sdk::Error::Auth { .. }),
        "{err:?}: the token endpoint's 429 is the call's auth failure"
    );
    let received = server.received();
    assert_eq!(received.len(), 1, "one token request, nothing else");
    assert_eq!(received[0].target, "/o/token/");
}

fn elation_client(base_url: &str) -> ehr_sdk::elation::Client {
    ehr_sdk::elation::Client::builder()
        .base_url(base_url)
        .client_credentials("elation-client", "elation-secret")
        .build()
        .expect("client builds")
}

#[tokio::test]
async fn a_throttled_client_credentials_token_request_is_sent_again_after_retry_after() {
    let server = ScriptedServer::start(vec![
        Reply::empty(429).header("retry-after", "0"),
        Reply::json(
            200,
            serde_json::json!({"access_token": "elation-at", "expires_in": 3600}),
        ),
        Reply::json(200, serde_json::from_str(EMPTY_PAGE).unwrap()),
    ])
    .await;
    let client = elation_client(&server.base_url);

    client
        .users_list()
        .send()
        .await
        .expect("the token request was retried");

    let received = server.received();
    let targets: Vec<_> = received.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(
        targets,
        [
            "/api/2.0/oauth2/token/",
            "/api/2.0/oauth2/token/",
            "/api/2.0/users/"
        ]
    );
    assert_eq!(
        received[2].header("authorization"),
        Some("Bearer elation-at")
    );
}

#[tokio::test]
async fn token_requests_are_traced_as_calls_of_the_oauth_endpoint() {
    let traces = ehr_tests::TraceCapture::global();
    let server = ScriptedServer::start(vec![
        Reply::json(
            200,
            serde_json::json!({"access_token": "elation-traced-at", "expires_in": 3600}),
        ),
        Reply::json(200, serde_json::from_str(EMPTY_PAGE).unwrap()),
    ])
    .await;
    let client = elation_client(&server.base_url);

    client.users_list().send().await.expect("call succeeds");

    let text = traces.text();
    let token_call = text
        .lines()
        .find(|line| {
            line.contains("oauth_token_client_credentials") && line.contains("ehr call finished")
        })
        .unwrap_or_else(|| panic!("no finished token call in the traces:\n{text}"));
    assert!(token_call.contains("status=200"), "{token_call}");
    assert!(!text.contains("elation-traced-at"), "no token in traces");
    assert!(!text.contains("elation-secret"), "no secret in traces");
}

#[tokio::test]
async fn a_refresh_token_grant_that_never_reached_the_server_is_sent_again() {
    let traces = ehr_tests::TraceCapture::global();
    // A port nothing listens on: every connection is refused before a byte is sent.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let client = expired_drchrono_client(&base_url);

    let err = client
        .doctors_list()
        .send()
        .await
        .expect_err("nothing listens");

    assert!(matches!(err, ehr_sdk::Error::Auth { .. }), "{err:?}");
    let retries = traces
        .text()
        .lines()
        .filter(|line| line.contains("ehr call retrying") && line.contains("oauth_token_refresh"))
        .count();
    assert_eq!(retries, 3, "the default policy's four attempts");
}

// --- settings reach their targets ------------------------------------------------------------

#[tokio::test]
async fn the_builders_refresh_skew_reaches_every_vendors_token_caches() {
    let skew = std::time::Duration::from_secs(600);
    let expired =
        ehr_sdk::auth::TokenSet::from_response("at1".into(), Some(-10), Some("rt1".into()));
    let drchrono = ehr_sdk::drchrono::Client::builder()
        .oauth("cid", "client-secret", "https://app.example/cb")
        .token_store(ehr_sdk::auth::MemoryTokenStore::with(expired))
        .refresh_skew(skew)
        .build()
        .unwrap();
    let elation = ehr_sdk::elation::Client::builder()
        .sandbox()
        .client_credentials("id", "secret")
        .refresh_skew(skew)
        .build()
        .unwrap();
    let healthgorilla = ehr_sdk::healthgorilla::Client::builder()
        .sandbox()
        .client_credentials("id", "secret")
        .refresh_skew(skew)
        .build()
        .unwrap();
    let acting = healthgorilla.as_user("admin.login").unwrap();

    assert_eq!(drchrono.token_cache().skew(), skew);
    assert_eq!(elation.token_cache().skew(), skew);
    assert_eq!(
        elation
            .on_behalf_of(ehr_sdk::elation::UserId::from_users_api_id(7))
            .token_cache()
            .skew(),
        skew
    );
    assert_eq!(healthgorilla.token_cache().skew(), skew);
    assert_eq!(
        acting.token_cache().skew(),
        skew,
        "an acting user's cache too"
    );

    let default = ehr_sdk::elation::Client::builder()
        .sandbox()
        .client_credentials("id", "secret")
        .build()
        .unwrap();
    assert_eq!(
        default.token_cache().skew(),
        ehr_sdk::auth::TokenCache::DEFAULT_SKEW
    );
}

// --- many tenants, one HTTP client --------------------------------------------------------------

fn tenant(base_url: &str, token: &str) -> ehr_sdk::elation::ClientBuilder {
    ehr_sdk::elation::Client::builder()
        .base_url(base_url)
        .access_token(token.to_string())
}

#[tokio::test]
async fn clients_built_without_an_http_client_share_one_connection_pool() {
    let page = || Reply::json(200, serde_json::from_str(EMPTY_PAGE).unwrap());
    let server = ScriptedServer::start(vec![page(), page(), page(), page()]).await;
    let first = tenant(&server.base_url, "tenant-1").build().unwrap();
    let second = tenant(&server.base_url, "tenant-2").build().unwrap();
    // The same tuning as each other (not as the default): a pool of their own, shared.
    let slow = || {
        tenant(&server.base_url, "tenant-3")
            .timeout(std::time::Duration::from_secs(120))
            .build()
            .unwrap()
    };
    let (third, fourth) = (slow(), slow());

    for client in [&first, &second, &third, &fourth] {
        client.users_list().send().await.expect("call succeeds");
    }

    let received = server.received();
    let connections: Vec<usize> = received.iter().map(|r| r.connection).collect();
    assert_eq!(
        connections[0], connections[1],
        "two tenants, one connection"
    );
    assert_eq!(connections[2], connections[3], "one tuning, one connection");
    assert_ne!(
        connections[0], connections[2],
        "another tuning, another pool"
    );
    let tokens: Vec<_> = received.iter().map(|r| r.header("authorization")).collect();
    assert_eq!(
        tokens,
        [
            Some("Bearer tenant-1"),
            Some("Bearer tenant-2"),
            Some("Bearer tenant-3"),
            Some("Bearer tenant-3")
        ],
        "each tenant's own credentials on the shared connection"
    );
}
