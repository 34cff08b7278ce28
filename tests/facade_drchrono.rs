//! The façade's pipeline, wired for DrChrono: tokens, refresh rotation, 401, retries,
//! redirects, secrets. Every server is local (httpmock or a scripted server on 127.0.0.1).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use ehr_sdk::Secret;
use ehr_sdk::auth::{
    AccessToken, FileTokenStore, MemoryTokenStore, StoreError, TokenCache, TokenSet, TokenStore,
};
use ehr_sdk::drchrono::{Client, DrChronoOAuth};
use ehr_sdk::retry::RetryPolicy;
use ehr_tests::{Reply, ScriptedServer};

const EMPTY_PAGE: &str = r#"{"next": null, "previous": null, "results": []}"#;

fn token_set(access: &str, expires_in: i64, refresh: &str) -> TokenSet {
    TokenSet::from_response(access.into(), Some(expires_in), Some(refresh.into()))
}

fn token_reply(access: &str, refresh: &str) -> Reply {
    Reply::json(
        200,
        serde_json::json!({"access_token": access, "refresh_token": refresh, "expires_in": 172800}),
    )
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        max_elapsed: Duration::from_secs(20),
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
    }
}

fn client(base_url: &str, store: impl TokenStore) -> Client {
    Client::builder()
        .base_url(base_url)
        .oauth("cid", "SUPER-SECRET-CLIENT", "https://app.example/cb")
        .token_store(store)
        .retry(fast_retries())
        .build()
        .expect("client builds")
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

#[tokio::test]
async fn a_thousand_concurrent_token_requests_cause_one_refresh() {
    let server = httpmock::MockServer::start();
    let token = server.mock(|when, then| {
        when.method(httpmock::Method::POST)
            .path("/o/token/")
            .form_urlencoded_tuple("grant_type", "refresh_token")
            .form_urlencoded_tuple("refresh_token", "rt1");
        then.status(200)
            .header("content-type", "application/json")
            .body(r#"{"access_token": "at2", "refresh_token": "rt2", "expires_in": 172800}"#)
            .delay(Duration::from_millis(50));
    });
    let oauth =
        DrChronoOAuth::new("cid", "secret", "https://app.example/cb").base_url(server.base_url());
    let store = MemoryTokenStore::with(token_set("at1", -10, "rt1"));
    let cache = Arc::new(TokenCache::new(
        oauth.token_source(store),
        TokenCache::DEFAULT_SKEW,
    ));

    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.get().await })
        })
        .collect();
    for task in tasks {
        let token = task.await.expect("task").expect("token");
        assert_eq!(token.token.expose(), "at2");
    }

    token.assert_calls(1);
    assert_eq!(cache.fetch_count(), 1);
}

#[tokio::test]
async fn concurrent_api_calls_share_one_refresh() {
    let server = httpmock::MockServer::start();
    let token = server.mock(|when, then| {
        when.method(httpmock::Method::POST).path("/o/token/");
        then.status(200)
            .header("content-type", "application/json")
            .body(r#"{"access_token": "at2", "refresh_token": "rt2", "expires_in": 172800}"#);
    });
    let api = server.mock(|when, then| {
        when.method(httpmock::Method::GET)
            .path("/api/doctors")
            .header("authorization", "Bearer at2");
        then.status(200)
            .header("content-type", "application/json")
            .body(EMPTY_PAGE);
    });
    let client = client(
        &server.base_url(),
        MemoryTokenStore::with(token_set("at1", -10, "rt1")),
    );

    let calls = (0..100).map(|_| client.doctors_list().send());
    for result in futures::future::join_all(calls).await {
        result.expect("every call succeeds");
    }

    token.assert_calls(1);
    api.assert_calls(100);
}

/// A store that records, at each save, how many requests the server had received.
#[derive(Debug)]
struct WitnessStore {
    inner: MemoryTokenStore,
    log: Arc<Mutex<Vec<ehr_tests::Received>>>,
    saves: Arc<Mutex<Vec<(String, usize)>>>,
    fail_first_save: Mutex<bool>,
}

impl TokenStore for WitnessStore {
    fn load(&self) -> ehr_sdk::auth::StoreFuture<'_, Option<TokenSet>> {
        self.inner.load()
    }

    fn save<'a>(&'a self, set: &'a TokenSet) -> ehr_sdk::auth::StoreFuture<'a, ()> {
        Box::pin(async move {
            let seen = self.log.lock().unwrap().len();
            let refresh = set
                .refresh_token
                .as_ref()
                .map(|s| s.expose().to_string())
                .unwrap_or_default();
            self.saves.lock().unwrap().push((refresh, seen));
            let fail = std::mem::replace(&mut *self.fail_first_save.lock().unwrap(), false);
            if fail {
                return Err(StoreError::Other("disk full mid-write".into()));
            }
            self.inner.save(set).await
        })
    }
}

#[tokio::test]
async fn refresh_token_rotation_is_persisted_before_use() {
    let server = ScriptedServer::start(vec![
        token_reply("at2", "rt2"),
        Reply::json(200, serde_json::from_str(EMPTY_PAGE).unwrap()),
    ])
    .await;
    let saves = Arc::new(Mutex::new(Vec::new()));
    let store = WitnessStore {
        inner: MemoryTokenStore::with(token_set("at1", -10, "rt1")),
        log: server.log(),
        saves: saves.clone(),
        fail_first_save: Mutex::new(false),
    };
    let client = client(&server.base_url, store);

    client.doctors_list().send().await.expect("call succeeds");

    let received = server.received();
    assert_eq!(received.len(), 2);
    assert_eq!(
        (received[0].method.as_str(), received[0].target.as_str()),
        ("POST", "/o/token/")
    );
    let sent = form(&received[0].body);
    assert!(
        sent.contains(&("grant_type".into(), "refresh_token".into())),
        "{sent:?}"
    );
    assert!(
        sent.contains(&("refresh_token".into(), "rt1".into())),
        "{sent:?}"
    );
    assert!(sent.contains(&("client_secret".into(), "SUPER-SECRET-CLIENT".into())));
    // rt2 was saved when only the token request had been made: before at2 was used.
    assert_eq!(*saves.lock().unwrap(), [("rt2".to_string(), 1)]);
    assert_eq!(received[1].header("authorization"), Some("Bearer at2"));
}

#[tokio::test]
async fn a_store_failing_mid_write_never_loses_the_new_refresh_token() {
    let server = ScriptedServer::start(vec![
        token_reply("at2", "rt2"),
        Reply::json(200, serde_json::from_str(EMPTY_PAGE).unwrap()),
    ])
    .await;
    let saves = Arc::new(Mutex::new(Vec::new()));
    let store = Arc::new(WitnessStore {
        inner: MemoryTokenStore::with(token_set("at1", -10, "rt1")),
        log: server.log(),
        saves: saves.clone(),
        fail_first_save: Mutex::new(true),
    });
    let client = client(&server.base_url, SharedStore(store.clone()));

    let first = client
        .doctors_list()
        .send()
        .await
        .expect_err("the save failed");
    assert!(
        matches!(
            first,
            ehr_sdk::Error::Auth {
                source: ehr_sdk::auth::AuthError::Store(_),
                ..
            }
        ),
        "{first}"
    );
    assert_eq!(
        server.received().len(),
        1,
        "the new access token was not used"
    );

    client
        .doctors_list()
        .send()
        .await
        .expect("second call succeeds");

    let received = server.received();
    assert_eq!(received.len(), 2, "no second refresh with the spent rt1");
    assert_eq!(received[1].header("authorization"), Some("Bearer at2"));
    assert_eq!(
        *saves.lock().unwrap(),
        [("rt2".to_string(), 1), ("rt2".to_string(), 1)]
    );
    let stored = store.inner.load().await.unwrap().unwrap();
    assert_eq!(stored.refresh_token, Some(Secret::new("rt2")));
}

#[derive(Debug)]
struct SharedStore(Arc<WitnessStore>);

impl TokenStore for SharedStore {
    fn load(&self) -> ehr_sdk::auth::StoreFuture<'_, Option<TokenSet>> {
        self.0.load()
    }
    fn save<'a>(&'a self, set: &'a TokenSet) -> ehr_sdk::auth::StoreFuture<'a, ()> {
        self.0.save(set)
    }
}

#[tokio::test]
async fn a_401_refreshes_once_and_retries_once() {
    let server = ScriptedServer::start(vec![
        Reply::empty(401),
        token_reply("at2", "rt2"),
        Reply::json(200, serde_json::from_str(EMPTY_PAGE).unwrap()),
    ])
    .await;
    let client = client(
        &server.base_url,
        MemoryTokenStore::with(token_set("at1", 3600, "rt1")),
    );

    client
        .doctors_list()
        .send()
        .await
        .expect("succeeds after one refresh");

    let received = server.received();
    let summary: Vec<_> = received
        .iter()
        .map(|r| {
            (
                r.method.as_str(),
                r.target.as_str(),
                r.header("authorization"),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("GET", "/api/doctors", Some("Bearer at1")),
            ("POST", "/o/token/", None),
            ("GET", "/api/doctors", Some("Bearer at2")),
        ]
    );
}

#[tokio::test]
async fn a_second_401_is_returned_not_looped_on() {
    let server = ScriptedServer::start(vec![
        Reply::empty(401),
        token_reply("at2", "rt2"),
        Reply::json(
            401,
            serde_json::json!({"detail": "Authentication credentials were not provided."}),
        ),
    ])
    .await;
    let client = client(
        &server.base_url,
        MemoryTokenStore::with(token_set("at1", 3600, "rt1")),
    );

    let err = client.doctors_list().send().await.expect_err("still 401");

    assert_eq!(err.status(), Some(reqwest::StatusCode::UNAUTHORIZED));
    assert_eq!(server.received().len(), 3);
}

#[tokio::test]
async fn retry_after_is_honoured_on_429() {
    let server = ScriptedServer::start(vec![
        Reply::empty(429).header("retry-after", "1"),
        Reply::json(200, serde_json::from_str(EMPTY_PAGE).unwrap()),
    ])
    .await;
    let client = client(
        &server.base_url,
        MemoryTokenStore::with(token_set("at1", 3600, "rt1")),
    );

    let started = Instant::now();
    client
        .doctors_list()
        .send()
        .await
        .expect("succeeds on the second attempt");

    // The wait is at least what the server asked for (a lower bound, so it cannot flake).
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.received().len(), 2);
}

#[tokio::test]
async fn gets_are_retried_on_503_but_posts_never_are() {
    let server = ScriptedServer::start(vec![
        Reply::empty(503),
        Reply::json(200, serde_json::from_str(EMPTY_PAGE).unwrap()),
        Reply::empty(503),
        Reply::json(201, serde_json::json!({"id": 1})),
    ])
    .await;
    let client = client(
        &server.base_url,
        MemoryTokenStore::with(token_set("at1", 3600, "rt1")),
    );

    client.doctors_list().send().await.expect("GET retried");
    assert_eq!(server.received().len(), 2);

    let body = ehr_sdk::drchrono::api::types::PatientCreate::builder()
        .doctor(5)
        .gender(ehr_sdk::drchrono::api::types::GenderKnown::Female);
    let err = client
        .patients_create()
        .body(body)
        .send()
        .await
        .expect_err("503 is final for POST");

    assert_eq!(err.status(), Some(reqwest::StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(server.received().len(), 3, "the POST was sent once");
}

#[tokio::test]
async fn a_302_is_resent_with_the_same_method_headers_and_body() {
    let server = ScriptedServer::start(vec![
        Reply::empty(302).header("location", "/api/patients/7?moved=1"),
        Reply::empty(204),
    ])
    .await;
    let client = client(
        &server.base_url,
        MemoryTokenStore::with(token_set("at1", 3600, "rt1")),
    );
    let patch = ehr_sdk::drchrono::api::types::PatientPatch::builder()
        .email(Some("sam@example.org".to_string()));

    client
        .patients_partial_update()
        .id(7)
        .body(patch)
        .send()
        .await
        .expect("204 after the re-send");

    let received = server.received();
    assert_eq!(received.len(), 2);
    let (first, second) = (&received[0], &received[1]);
    assert_eq!(second.method, "PATCH");
    assert_eq!(second.target, "/api/patients/7?moved=1");
    assert_eq!(second.body, first.body);
    assert_eq!(
        String::from_utf8_lossy(&second.body),
        r#"{"email":"sam@example.org"}"#
    );
    assert_eq!(second.header("authorization"), Some("Bearer at1"));
    assert_eq!(second.header("content-type"), first.header("content-type"));
}

#[tokio::test]
async fn a_cross_origin_302_is_not_followed_with_credentials() {
    let elsewhere = ScriptedServer::start(vec![Reply::json(
        200,
        serde_json::from_str(EMPTY_PAGE).unwrap(),
    )])
    .await;
    let server = ScriptedServer::start(vec![
        Reply::empty(302).header("location", &format!("{}/steal?x=1", elsewhere.base_url)),
    ])
    .await;
    let client = client(
        &server.base_url,
        MemoryTokenStore::with(token_set("at1", 3600, "rt1")),
    );

    let err = client
        .doctors_list()
        .send()
        .await
        .expect_err("not followed");

    assert!(matches!(err, ehr_sdk::Error::Redirect { .. }), "{err}");
    assert!(err.to_string().contains("another origin"), "{err}");
    assert!(
        elsewhere.received().is_empty(),
        "nothing, and no Authorization, went elsewhere"
    );
}

#[tokio::test]
async fn redirect_loops_are_bounded() {
    let server = ScriptedServer::start(
        (0..10)
            .map(|_| Reply::empty(302).header("location", "/api/doctors"))
            .collect(),
    )
    .await;
    let client = client(
        &server.base_url,
        MemoryTokenStore::with(token_set("at1", 3600, "rt1")),
    );

    let err = client.doctors_list().send().await.expect_err("loop");

    assert!(err.to_string().contains("more than 5 redirects"), "{err}");
    assert_eq!(server.received().len(), 6);
}

#[tokio::test]
async fn the_file_store_round_trips_atomically_with_owner_only_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("drchrono-token.json");
    let store = FileTokenStore::new(&path);
    assert_eq!(store.load().await.unwrap(), None);

    let set = token_set("at1", 3600, "rt1");
    store.save(&set).await.unwrap();
    store.save(&token_set("at2", 3600, "rt2")).await.unwrap();

    let loaded = store.load().await.unwrap().unwrap();
    assert_eq!(loaded.refresh_token, Some(Secret::new("rt2")));
    assert_eq!(loaded.access.token, Secret::new("at2"));
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "no temporary file left behind: {names:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[tokio::test]
async fn secrets_never_appear_in_debug_or_traces() {
    let capture = ehr_tests::TraceCapture::default();
    let _guard = capture.install();

    let server = ScriptedServer::start(vec![
        Reply::empty(401),
        token_reply("ACCESS-TOKEN-NEW", "REFRESH-TOKEN-NEW"),
        Reply::json(200, serde_json::from_str(EMPTY_PAGE).unwrap()),
    ])
    .await;
    let store = MemoryTokenStore::with(token_set("ACCESS-TOKEN-OLD", 3600, "REFRESH-TOKEN-OLD"));
    let client = client(&server.base_url, store);
    client.doctors_list().send().await.expect("succeeds");

    let oauth = DrChronoOAuth::new("cid", "SUPER-SECRET-CLIENT", "https://app.example/cb");
    let debug = format!(
        "{client:?} {oauth:?} {:?} {:?} {:?}",
        token_set("ACCESS-TOKEN-OLD", 1, "REFRESH-TOKEN-OLD"),
        MemoryTokenStore::with(token_set("ACCESS-TOKEN-OLD", 1, "REFRESH-TOKEN-OLD")),
        AccessToken {
            token: Secret::new("ACCESS-TOKEN-NEW"),
            expires_at: Some(SystemTime::now()),
            scope: None,
        },
    );
    let traces = capture.text();

    assert!(
        traces.contains("doctors_list"),
        "the call was traced: {traces}"
    );
    for secret in [
        "SUPER-SECRET-CLIENT",
        "ACCESS-TOKEN-OLD",
        "ACCESS-TOKEN-NEW",
        "REFRESH-TOKEN-OLD",
        "REFRESH-TOKEN-NEW",
    ] {
        assert!(!debug.contains(secret), "{secret} in Debug output: {debug}");
        assert!(!traces.contains(secret), "{secret} in traces");
    }
    assert!(debug.contains("[redacted]"));
}

#[tokio::test]
async fn code_exchange_posts_the_documented_form_and_saves_the_tokens() {
    let server = httpmock::MockServer::start();
    let token = server.mock(|when, then| {
        when.method(httpmock::Method::POST)
            .path("/o/token/")
            .header("content-type", "application/x-www-form-urlencoded")
            .form_urlencoded_tuple("grant_type", "authorization_code")
            .form_urlencoded_tuple("client_id", "cid")
            .form_urlencoded_tuple("client_secret", "s3cret")
            .form_urlencoded_tuple("redirect_uri", "https://app.example/cb")
            .form_urlencoded_tuple("code", "one-minute-code");
        then.status(200)
            .header("content-type", "application/json")
            .body(r#"{"access_token": "at1", "refresh_token": "rt1", "expires_in": 172800}"#);
    });
    let oauth =
        DrChronoOAuth::new("cid", "s3cret", "https://app.example/cb").base_url(server.base_url());
    let store = MemoryTokenStore::new();

    let set = oauth
        .exchange_code("one-minute-code", &store)
        .await
        .expect("exchanged");

    token.assert();
    assert_eq!(set.access.token, Secret::new("at1"));
    let expires_in = set
        .access
        .expires_at
        .unwrap()
        .duration_since(SystemTime::now())
        .unwrap();
    assert!(
        expires_in > Duration::from_secs(172_700) && expires_in <= Duration::from_secs(172_800)
    );
    assert_eq!(store.load().await.unwrap(), Some(set));
}

#[tokio::test]
async fn a_refused_code_is_a_typed_auth_error_with_the_oauth_body() {
    let server = httpmock::MockServer::start();
    server.mock(|when, then| {
        when.method(httpmock::Method::POST).path("/o/token/");
        then.status(400).body(r#"{"error": "invalid_grant"}"#);
    });
    let oauth =
        DrChronoOAuth::new("cid", "s3cret", "https://app.example/cb").base_url(server.base_url());

    let err = oauth
        .exchange_code("expired", &MemoryTokenStore::new())
        .await
        .unwrap_err();

    assert!(
        matches!(&err, ehr_sdk::Error::Auth { operation_id: "oauth_token_authorization_code", source: ehr_sdk::auth::AuthError::Refused { status, message, body, .. } } if status.as_u16() == 400 && message.as_deref() == Some("invalid_grant") && body.as_bytes() == br#"{"error": "invalid_grant"}"#),
        "{err}"
    );
    assert_eq!(err.kind(), ehr_sdk::ErrorKind::Auth);
}

#[tokio::test]
async fn revoke_posts_the_token_form() {
    let server = httpmock::MockServer::start();
    let revoke = server.mock(|when, then| {
        when.method(httpmock::Method::POST)
            .path("/o/revoke_token/")
            .form_urlencoded_tuple("client_id", "cid")
            .form_urlencoded_tuple("client_secret", "s3cret")
            .form_urlencoded_tuple("token", "at1");
        then.status(200);
    });
    let oauth =
        DrChronoOAuth::new("cid", "s3cret", "https://app.example/cb").base_url(server.base_url());

    oauth.revoke(&Secret::new("at1")).await.expect("revoked");
    oauth.revoke("at1").await.expect("revoked, from a &str");

    revoke.assert_calls(2);
}

#[tokio::test]
async fn connection_failures_are_retried_within_the_attempt_bound() {
    // A port bound but not listening: every attempt is refused, and no other test's server
    // can take the port while this socket holds it.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = socket.local_addr().unwrap().port();
    let client = Client::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .token_source(FixedToken)
        .retry(fast_retries())
        .build()
        .unwrap();

    let err = client
        .doctors_list()
        .send()
        .await
        .expect_err("nothing listens");

    assert!(matches!(err, ehr_sdk::Error::Http { .. }), "{err}");
    assert_eq!(
        err.attempts().len(),
        3,
        "max_attempts = 3: {:?}",
        err.attempts()
    );
    assert!(
        err.attempts()
            .iter()
            .all(|a| a.failure.as_deref() == Some("connection failed"))
    );
}

#[tokio::test]
async fn the_rate_limiter_paces_calls() {
    let server = ScriptedServer::start(
        (0..3)
            .map(|_| Reply::json(200, serde_json::from_str(EMPTY_PAGE).unwrap()))
            .collect(),
    )
    .await;
    let quota = governor::Quota::per_second(std::num::NonZeroU32::new(2).unwrap())
        .allow_burst(std::num::NonZeroU32::new(1).unwrap());
    let client = Client::builder()
        .base_url(&server.base_url)
        .token_source(FixedToken)
        .rate_limit(ehr_sdk::pipeline::RateLimit::new(quota))
        .build()
        .unwrap();

    let started = Instant::now();
    for _ in 0..3 {
        client.doctors_list().send().await.expect("ok");
    }

    // Two replenishments of 500 ms each: a lower bound, which a slow machine cannot break.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.received().len(), 3);
}

/// A token source with one token that never expires.
#[derive(Debug)]
struct FixedToken;

impl ehr_sdk::auth::TokenSource for FixedToken {
    fn fetch<'a>(
        &'a self,
        _rejected: Option<&'a AccessToken>,
    ) -> ehr_sdk::auth::TokenSourceFuture<'a> {
        Box::pin(async {
            Ok(AccessToken {
                token: Secret::new("fixed"),
                expires_at: None,
                scope: None,
            })
        })
    }
}

#[test]
fn authorize_url_sends_the_typed_scopes_as_drchrono_spells_them() {
    use ehr_sdk::drchrono::{DrChronoOAuth, Scope, ScopeArea};
    let oauth = DrChronoOAuth::new("cid", "secret", "https://app.example/cb");
    let every: Vec<Scope> = ScopeArea::ALL
        .into_iter()
        .flat_map(|area| [Scope::read(area), Scope::write(area)])
        .collect();

    let url = oauth.authorize_url(every, "st").unwrap();

    let scope = url
        .query_pairs()
        .find(|(k, _)| k == "scope")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert_eq!(
        scope,
        "user:read user:write calendar:read calendar:write patients:read patients:write \
         patients:summary:read patients:summary:write billing:read billing:write \
         billing:patient-payment:read billing:patient-payment:write clinical:read clinical:write \
         labs:read labs:write messages:read messages:write settings:read settings:write \
         tasks:read tasks:write"
    );
    // The bare area, as DrChrono's reference names required scopes: read and write.
    let bare = oauth
        .authorize_url(
            [
                Scope::read_write(ScopeArea::Patients),
                Scope::read_write(ScopeArea::BillingPatientPayment),
                Scope::read(ScopeArea::Clinical),
            ],
            "st",
        )
        .unwrap();
    assert!(
        bare.query_pairs()
            .any(|(k, v)| k == "scope" && v == "patients billing:patient-payment clinical:read"),
        "{bare}"
    );
    // No scope: DrChrono grants every scope.
    let none = oauth.authorize_url([], "st").unwrap();
    assert!(none.query_pairs().all(|(k, _)| k != "scope"));
}

/// A DrChrono client whose builder sets `refresh_skew` (or not), over a stored token with
/// `left` seconds to live: how many refreshes its first call made, and the token it sent.
async fn refreshes_before_the_first_call(
    skew: Option<Duration>,
    left: i64,
) -> (usize, &'static str) {
    let server = httpmock::MockServer::start();
    let token = server.mock(|when, then| {
        when.method(httpmock::Method::POST)
            .path("/o/token/")
            .form_urlencoded_tuple("grant_type", "refresh_token");
        then.status(200)
            .header("content-type", "application/json")
            .body(r#"{"access_token": "at2", "refresh_token": "rt2", "expires_in": 172800}"#);
    });
    let with = |bearer: &'static str| {
        server.mock(|when, then| {
            when.method(httpmock::Method::GET)
                .path("/api/doctors")
                .header("authorization", format!("Bearer {bearer}"));
            then.status(200)
                .header("content-type", "application/json")
                .body(EMPTY_PAGE);
        })
    };
    let (old, new) = (with("at1"), with("at2"));
    let mut builder = Client::builder()
        .base_url(server.base_url())
        .oauth("cid", "secret", "https://app.example/cb")
        .token_store(MemoryTokenStore::with(token_set("at1", left, "rt1")));
    if let Some(skew) = skew {
        builder = builder.refresh_skew(skew);
    }
    builder
        .build()
        .expect("client builds")
        .doctors_list()
        .send()
        .await
        .expect("call succeeds");
    let sent = match (old.calls(), new.calls()) {
        (1, 0) => "at1",
        (0, 1) => "at2",
        other => panic!("one call with one token, got {other:?}"),
    };
    (token.calls(), sent)
}

#[tokio::test]
async fn the_builders_refresh_skew_reaches_the_stored_token_refresh() {
    // Five minutes left: fresh for the default 60 s skew, due for a ten-minute one.
    assert_eq!(refreshes_before_the_first_call(None, 300).await, (0, "at1"));
    assert_eq!(
        refreshes_before_the_first_call(Some(Duration::from_secs(600)), 300).await,
        (1, "at2")
    );
}
