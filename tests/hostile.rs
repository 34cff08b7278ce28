//! A hostile server (127.0.0.1 only, every script bounded): values that overflow, loops that
//! never end, bodies that echo secrets. Nothing here may panic, hang or leak.

use std::time::Duration;

use ehr_sdk::Error;
use ehr_sdk::pagination::Paginate;
use ehr_sdk::retry::RetryPolicy;
use ehr_tests::{Reply, ScriptedServer};
use futures::TryStreamExt;
use serde_json::json;

fn drchrono(base_url: &str) -> ehr_sdk::drchrono::Client {
    ehr_sdk::drchrono::Client::builder()
        .base_url(base_url)
        .access_token("hostile-test-token")
        .build()
        .expect("builds")
}

// --- values that overflow --------------------------------------------------------------------

#[tokio::test]
async fn a_token_lifetime_of_i64_max_is_clamped_not_a_panic() {
    let server = ScriptedServer::start(vec![
        Reply::json(
            200,
            json!({"access_token": "t", "token_type": "Bearer",
                   "expires_in": 9_223_372_036_854_775_807_i64}),
        ),
        Reply::json(
            200,
            json!({"count": 0, "next": null, "previous": null, "results": []}),
        ),
    ])
    .await;
    let client = ehr_sdk::elation::Client::builder()
        .base_url(&server.base_url)
        .client_credentials("id", "secret")
        .build()
        .unwrap();

    client.users_list().send().await.expect("the token works");
    let token = client.token_cache().get().await.unwrap();
    let lifetime = token
        .expires_at
        .unwrap()
        .duration_since(std::time::SystemTime::now())
        .unwrap();
    assert!(
        lifetime <= ehr_sdk::auth::MAX_TOKEN_LIFETIME,
        "{lifetime:?}"
    );
    assert_eq!(server.received().len(), 2, "one token request, one call");
}

#[tokio::test]
async fn a_stored_expiry_of_u64_max_loads_without_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token.json");
    std::fs::write(
        &path,
        r#"{"access_token": "stored", "expires_at_unix": 18446744073709551615, "refresh_token": "r"}"#,
    )
    .unwrap();
    let server = ScriptedServer::start(vec![Reply::json(
        200,
        json!({"next": null, "previous": null, "results": []}),
    )])
    .await;
    let client = ehr_sdk::drchrono::Client::builder()
        .base_url(&server.base_url)
        .oauth("id", "secret", "https://app.example/cb")
        .token_store(ehr_sdk::auth::FileTokenStore::new(&path))
        .build()
        .unwrap();

    client
        .doctors_list()
        .send()
        .await
        .expect("stored token used");
    let sent = server.received();
    assert_eq!(sent.len(), 1, "no refresh: the clamped expiry is far away");
    assert_eq!(sent[0].header("authorization"), Some("Bearer stored"));
}

#[tokio::test]
async fn an_enormous_retry_after_is_clamped_not_a_panic() {
    let server = ScriptedServer::start(vec![
        Reply::json(429, json!({"detail": "slow"})).header("retry-after", "18446744073709551615"),
    ])
    .await;

    let error = drchrono(&server.base_url)
        .doctors_list()
        .send()
        .await
        .expect_err("429, not retried: the wait is past max_elapsed");

    let Error::RateLimited(limited) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(
        limited.retry_after(),
        Some(ehr_sdk::runtime::error::MAX_RETRY_AFTER)
    );
    assert_eq!(server.received().len(), 1);
}

#[test]
fn backoff_with_an_unbounded_delay_policy_does_not_panic() {
    let policy = RetryPolicy {
        base_delay: Duration::MAX,
        max_delay: Duration::MAX,
        ..RetryPolicy::default()
    };
    for retry in [1, 2, 64, u32::MAX] {
        assert!(policy.backoff(retry) <= Duration::MAX);
    }
}

// --- streams that would never end ------------------------------------------------------------

fn patient(id: i64) -> serde_json::Value {
    json!({"id": id, "doctor": 5, "first_name": "A", "last_name": "B"})
}

/// Serves `/api/patients?page=N` for N in `pages` with `body(N, next_url)`.
fn serve_pages<'a>(
    server: &'a httpmock::MockServer,
    pages: std::ops::RangeInclusive<u32>,
    next_of: impl Fn(u32) -> u32,
    results: impl Fn(u32) -> Vec<serde_json::Value>,
) -> Vec<httpmock::Mock<'a>> {
    pages
        .map(|n| {
            let next = server.url(format!("/api/patients?page={}", next_of(n)));
            let results = results(n);
            server.mock(move |when, then| {
                when.method(httpmock::Method::GET)
                    .path("/api/patients")
                    .query_param("page", n.to_string());
                then.status(200)
                    .json_body(json!({"next": next, "previous": null, "results": results}));
            })
        })
        .collect()
}

async fn drain<S, T>(mut stream: S) -> (usize, Option<Error>)
where
    S: futures::Stream<Item = Result<T, Error>> + Unpin,
{
    let mut items = 0;
    loop {
        match stream.try_next().await {
            Ok(Some(_)) => items += 1,
            Ok(None) => return (items, None),
            Err(e) => return (items, Some(e)),
        }
    }
}

#[tokio::test]
async fn next_links_that_cycle_end_with_a_typed_error() {
    let server = httpmock::MockServer::start();
    // 1 -> 2 -> 3 -> 1 -> …
    let mocks = serve_pages(&server, 1..=3, |n| n % 3 + 1, |n| vec![patient(n.into())]);
    let client = drchrono(&server.base_url());

    let (items, error) = drain(client.patients_list().page(1).items()).await;

    let error = error.expect("a cycle is an error, not silence");
    assert!(
        matches!(&error, Error::Pagination { reason, .. } if reason.contains("cycles")),
        "{error}"
    );
    let requests: usize = mocks.iter().map(|m| m.calls()).sum();
    assert!(requests <= 4, "{requests} requests");
    assert!(items <= 4);
}

#[tokio::test]
async fn endless_empty_pages_end_with_a_typed_error_even_with_max_items() {
    let server = httpmock::MockServer::start();
    let mocks = serve_pages(&server, 1..=50, |n| n + 1, |_| Vec::new());
    let client = drchrono(&server.base_url());

    let (items, error) = drain(client.patients_list().page(1).items().max_items(10)).await;

    assert_eq!(items, 0);
    let error = error.expect("an error, not silence");
    assert!(
        matches!(&error, Error::Pagination { reason, .. } if reason.contains("empty pages")),
        "{error}"
    );
    let requests: usize = mocks.iter().map(|m| m.calls()).sum();
    assert_eq!(requests, ehr_sdk::pagination::MAX_EMPTY_PAGES);
}

#[tokio::test]
async fn the_page_cap_ends_a_stream_with_a_typed_error() {
    let server = httpmock::MockServer::start();
    let mocks = serve_pages(&server, 1..=50, |n| n + 1, |n| vec![patient(n.into())]);
    let client = drchrono(&server.base_url());

    let (items, error) = drain(client.patients_list().page(1).items().max_pages(3)).await;

    assert_eq!(items, 3);
    let error = error.expect("an error, not silence");
    assert!(
        matches!(&error, Error::Pagination { reason, .. } if reason.contains("more than 3 pages")),
        "{error}"
    );
    let requests: usize = mocks.iter().map(|m| m.calls()).sum();
    assert_eq!(requests, 3);
}

// --- no credential, URL or request value in what errors print --------------------------------

/// A server on 127.0.0.1 that accepts connections and never answers.
async fn silent_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket); // held open, never answered
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_timed_out_call_prints_no_url_or_query() {
    let base = silent_server().await;
    let client = ehr_sdk::drchrono::Client::builder()
        .base_url(&base)
        .access_token("hostile-test-token")
        .timeout(Duration::from_millis(300))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();

    let error = client
        .patients_list()
        .last_name("Doe")
        .date_of_birth(chrono::NaiveDate::from_ymd_opt(1980, 1, 2).unwrap())
        .send()
        .await
        .expect_err("times out");

    assert!(matches!(error, Error::Http { .. }), "{error:?}");
    let printed = format!("{error} {error:?} {:?}", std::error::Error::source(&error));
    for leak in [
        "Doe",
        "1980-01-02",
        "last_name",
        "/api/patients",
        "127.0.0.1",
    ] {
        assert!(!printed.contains(leak), "{leak} in {printed}");
    }
}

#[tokio::test]
async fn a_decode_error_names_the_path_not_the_value() {
    // A required field (`id`) that does not decode fails the call (an optional one, like the
    // odd `date_of_birth` before it, is left out: tests/tolerant_decoding.rs).
    let server = ScriptedServer::start(vec![Reply::json(
        200,
        json!({"next": null, "previous": null,
               "results": [{"id": "Doe 1980-01-02", "doctor": 5, "date_of_birth": "Doe 1980-01-02"}]}),
    )])
    .await;

    let error = drchrono(&server.base_url)
        .patients_list()
        .send()
        .await
        .expect_err("not an id");

    let Error::Decode { source, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(source.path, "$.results[0].id");
    let printed = format!("{error} {error:?}");
    assert!(!printed.contains("Doe"), "{printed}");
    assert!(printed.contains("$.results[0].id"), "{printed}");
}

#[tokio::test]
async fn a_vendor_body_echoing_the_bearer_token_is_scrubbed() {
    let server = ScriptedServer::start(vec![
        Reply::json(
            400,
            json!({"detail": "bad request from token hostile-test-token"}),
        ),
        Reply {
            status: 500,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: "Authorization: Bearer hostile-test-token".into(),
        },
    ])
    .await;
    let client = drchrono(&server.base_url);

    for _ in 0..2 {
        let error = client.doctors_list().send().await.expect_err("refused");
        let printed = format!("{error} {error:?}");
        assert!(!printed.contains("hostile-test-token"), "{printed}");
        assert!(printed.contains("[redacted]"), "{printed}");
    }
}

#[tokio::test]
async fn a_token_endpoint_echoing_the_form_prints_no_secret() {
    let server = ScriptedServer::start(vec![Reply::json(
        400,
        json!({"error": "invalid_request",
               "error_description": "got client_secret=SUPER-SECRET-9 and refresh_token=RT-OLD-9 and TOTALLY-OWN-SECRET"}),
    )])
    .await;
    let oauth = ehr_sdk::drchrono::DrChronoOAuth::new(
        "cid",
        "TOTALLY-OWN-SECRET",
        "https://app.example/cb",
    )
    .base_url(&server.base_url);

    let error = oauth
        .refresh(&ehr_sdk::Secret::new("RT-OLD-9"))
        .await
        .expect_err("refused");

    let printed = format!("{error} {error:?}");
    for secret in ["SUPER-SECRET-9", "RT-OLD-9", "TOTALLY-OWN-SECRET"] {
        assert!(!printed.contains(secret), "{secret} in {printed}");
    }
    assert!(printed.contains("invalid_request"), "{printed}");
}

// --- refresh tokens are never lost -----------------------------------------------------------

/// DrChrono's token endpoint rotating `rt-1` into `at-2`/`rt-2`, after `delay`.
fn slow_rotation(server: &httpmock::MockServer, delay: Duration) -> httpmock::Mock<'_> {
    server.mock(|when, then| {
        when.method(httpmock::Method::POST)
            .path("/o/token/")
            .form_urlencoded_tuple("refresh_token", "rt-1");
        then.status(200)
            .delay(delay)
            .json_body(json!({"access_token": "at-2", "refresh_token": "rt-2",
                              "expires_in": 172800, "token_type": "Bearer"}));
    })
}

/// `/api/doctors`, answering only calls made with `token`.
fn doctors_with<'a>(server: &'a httpmock::MockServer, token: &str) -> httpmock::Mock<'a> {
    let bearer = format!("Bearer {token}");
    server.mock(move |when, then| {
        when.method(httpmock::Method::GET)
            .path("/api/doctors")
            .header("authorization", bearer);
        then.status(200)
            .json_body(json!({"next": null, "previous": null, "results": []}));
    })
}

#[tokio::test]
async fn a_call_cancelled_mid_refresh_still_saves_the_rotated_refresh_token() {
    use ehr_sdk::auth::{MemoryTokenStore, TokenSet, TokenStore};

    let server = httpmock::MockServer::start();
    let token = slow_rotation(&server, Duration::from_millis(300));
    let store = std::sync::Arc::new(MemoryTokenStore::with(TokenSet::from_response(
        "at-1".into(),
        Some(-10),
        Some("rt-1".into()),
    )));
    #[derive(Debug)]
    struct Shared(std::sync::Arc<MemoryTokenStore>);
    impl TokenStore for Shared {
        fn load(&self) -> ehr_sdk::auth::StoreFuture<'_, Option<TokenSet>> {
            self.0.load()
        }
        fn save<'a>(&'a self, set: &'a TokenSet) -> ehr_sdk::auth::StoreFuture<'a, ()> {
            self.0.save(set)
        }
    }
    let client = ehr_sdk::drchrono::Client::builder()
        .base_url(server.base_url())
        .oauth("id", "secret", "https://app.example/cb")
        .token_store(Shared(store.clone()))
        .build()
        .unwrap();

    let cancelled =
        tokio::time::timeout(Duration::from_millis(50), client.doctors_list().send()).await;
    assert!(
        cancelled.is_err(),
        "the caller gave up while the refresh was in flight"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;

    let saved = store.load().await.unwrap().unwrap();
    assert_eq!(saved.refresh_token.unwrap().expose(), "rt-2");
    token.assert_calls(1);
}

#[tokio::test]
async fn with_the_token_endpoint_down_concurrent_calls_make_one_token_request() {
    let server = httpmock::MockServer::start();
    let token = server.mock(|when, then| {
        when.method(httpmock::Method::POST)
            .path("/api/2.0/oauth2/token/");
        then.status(503).body("down");
    });
    let client = ehr_sdk::elation::Client::builder()
        .base_url(server.base_url())
        .client_credentials("id", "secret")
        .build()
        .unwrap();

    let calls = (0..200).map(|_| client.users_list().send());
    let results = futures::future::join_all(calls).await;

    assert!(results.iter().all(|r| matches!(r, Err(Error::Auth { .. }))));
    assert_eq!(token.calls(), 1, "waiting callers share the failed fetch");
}

#[tokio::test]
async fn a_code_exchange_whose_save_fails_returns_the_tokens() {
    use ehr_sdk::auth::{StoreError, StoreFuture, TokenSet, TokenStore};
    use ehr_sdk::drchrono::{DrChronoOAuth, ExchangeNotSaved};

    #[derive(Debug)]
    struct Broken;
    impl TokenStore for Broken {
        fn load(&self) -> StoreFuture<'_, Option<TokenSet>> {
            Box::pin(async { Ok(None) })
        }
        fn save<'a>(&'a self, _: &'a TokenSet) -> StoreFuture<'a, ()> {
            Box::pin(async { Err(StoreError::Other("disk full".into())) })
        }
    }
    let server = ScriptedServer::start(vec![Reply::json(
        200,
        json!({"access_token": "at-new", "refresh_token": "rt-new", "expires_in": 172800,
               "token_type": "Bearer"}),
    )])
    .await;
    let oauth =
        DrChronoOAuth::new("id", "secret", "https://app.example/cb").base_url(&server.base_url);

    let error = oauth
        .exchange_code("single-use", &Broken)
        .await
        .expect_err("save failed");

    assert!(
        matches!(
            error,
            ehr_sdk::Error::Outcome {
                code: ExchangeNotSaved::CODE,
                ..
            }
        ),
        "{error:?}"
    );
    let printed = format!("{error} {error:?}");
    assert!(!printed.contains("rt-new"), "still redacted: {printed}");
    assert!(printed.contains("disk full"), "{printed}");
    let seen = ExchangeNotSaved::of(&error).expect("the tokens, in place");
    assert_eq!(
        seen.tokens.refresh_token.as_ref().unwrap().expose(),
        "rt-new"
    );
    let taken = ExchangeNotSaved::take(error).expect("the tokens, taken out");
    assert_eq!(taken.tokens.refresh_token.unwrap().expose(), "rt-new");
}

#[tokio::test]
async fn concurrent_saves_to_one_file_store_all_succeed_and_leave_a_valid_file() {
    use ehr_sdk::auth::{FileTokenStore, TokenSet, TokenStore};

    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(FileTokenStore::new(dir.path().join("token.json")));
    let saves = (0..200).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            let set =
                TokenSet::from_response(format!("at-{i}"), Some(3600), Some(format!("rt-{i}")));
            store.save(&set).await
        })
    });
    let results = futures::future::join_all(saves).await;

    let failures = results.iter().filter(|r| !matches!(r, Ok(Ok(())))).count();
    assert_eq!(failures, 0, "every save succeeds");
    let loaded = store.load().await.unwrap().expect("a valid file");
    assert!(loaded.access.token.expose().starts_with("at-"));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        1,
        "no temporary file left behind: {leftovers:?}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("token.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test]
async fn a_303_after_a_post_is_followed_with_a_get_without_body() {
    let server = ScriptedServer::start(vec![
        Reply::empty(303).header("location", "/api/patients/5"),
        Reply::json(201, json!({"id": 5, "doctor": 5})),
    ])
    .await;
    let body = ehr_sdk::drchrono::api::types::PatientCreate::builder()
        .doctor(5)
        .gender(ehr_sdk::drchrono::api::types::GenderKnown::Female);

    let _ = drchrono(&server.base_url)
        .patients_create()
        .body(body)
        .send()
        .await;

    let sent = server.received();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].method, "POST");
    assert_eq!(sent[1].method, "GET");
    assert_eq!(sent[1].target, "/api/patients/5");
    assert!(sent[1].body.is_empty(), "no body on the GET");
    assert_eq!(sent[1].header("content-type"), None);
    assert_eq!(
        sent[1].header("authorization"),
        Some("Bearer hostile-test-token")
    );
}

#[tokio::test]
async fn two_clients_sharing_a_token_file_refresh_once() {
    use ehr_sdk::auth::{FileTokenStore, TokenSet, TokenStore};

    let server = httpmock::MockServer::start();
    let refresh = slow_rotation(&server, Duration::from_millis(200));
    let api = doctors_with(&server, "at-2");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token.json");
    FileTokenStore::new(&path)
        .save(&TokenSet::from_response(
            "at-1".into(),
            Some(-10),
            Some("rt-1".into()),
        ))
        .await
        .unwrap();
    let client = || {
        ehr_sdk::drchrono::Client::builder()
            .base_url(server.base_url())
            .oauth("id", "secret", "https://app.example/cb")
            .token_store(FileTokenStore::new(&path))
            .build()
            .unwrap()
    };
    let (one, two) = (client(), client());

    let (a, b) = tokio::join!(one.doctors_list().send(), two.doctors_list().send());

    a.expect("first client");
    b.expect("second client, with the tokens the first saved");
    refresh.assert_calls(1);
    api.assert_calls(2);
    let saved = FileTokenStore::new(&path).load().await.unwrap().unwrap();
    assert_eq!(saved.refresh_token.unwrap().expose(), "rt-2");
}

#[tokio::test]
async fn an_invalid_grant_after_another_holder_rotated_uses_the_rotated_tokens() {
    use ehr_sdk::auth::{MemoryTokenStore, StoreFuture, TokenSet, TokenStore};

    /// A store another process rotates behind our back: the first load says rt-1, every later
    /// load says rt-2 (as if the other holder refreshed without locking).
    #[derive(Debug)]
    struct RotatedElsewhere(std::sync::Mutex<u32>, MemoryTokenStore);
    impl TokenStore for RotatedElsewhere {
        fn load(&self) -> StoreFuture<'_, Option<TokenSet>> {
            let mut loads = self.0.lock().unwrap();
            *loads += 1;
            let set = if *loads <= 2 {
                TokenSet::from_response("at-1".into(), Some(-10), Some("rt-1".into()))
            } else {
                TokenSet::from_response("at-2".into(), Some(3600), Some("rt-2".into()))
            };
            Box::pin(async move { Ok(Some(set)) })
        }
        fn save<'a>(&'a self, set: &'a TokenSet) -> StoreFuture<'a, ()> {
            self.1.save(set)
        }
    }
    let server = httpmock::MockServer::start();
    let spent = server.mock(|when, then| {
        when.method(httpmock::Method::POST).path("/o/token/");
        then.status(400)
            .json_body(json!({"error": "invalid_grant"}));
    });
    let api = doctors_with(&server, "at-2");
    let client = ehr_sdk::drchrono::Client::builder()
        .base_url(server.base_url())
        .oauth("id", "secret", "https://app.example/cb")
        .token_store(RotatedElsewhere(
            std::sync::Mutex::new(0),
            MemoryTokenStore::new(),
        ))
        .build()
        .unwrap();

    client
        .doctors_list()
        .send()
        .await
        .expect("the rotated tokens are used");
    spent.assert_calls(1);
    api.assert_calls(1);
}
