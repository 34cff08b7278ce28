//! Pagination streams over generated list operations, against local servers.

use ehr_sdk::auth::{MemoryTokenStore, TokenSet};
use ehr_sdk::pagination::Paginate;
use ehr_sdk::retry::RetryPolicy;
use futures::{StreamExt, TryStreamExt};
use httpmock::Method::GET;
use httpmock::MockServer;
use serde_json::json;

fn drchrono(base_url: &str) -> ehr_sdk::drchrono::Client {
    ehr_sdk::drchrono::Client::builder()
        .base_url(base_url)
        .oauth("cid", "secret", "https://app.example/cb")
        .token_store(MemoryTokenStore::with(TokenSet::from_response(
            "at1".into(),
            Some(3600),
            Some("rt1".into()),
        )))
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

fn patients(ids: std::ops::Range<i64>) -> serde_json::Value {
    ids.map(|id| json!({"id": id, "doctor": 5, "last_name": format!("P{id}"), "date_of_birth": ""}))
        .collect()
}

/// Mocks pages 1..=3 of `/api/patients?doctor=5&page_size=2`, with absolute `next` links.
fn three_pages(server: &MockServer) -> Vec<httpmock::Mock<'_>> {
    let next = |page: u32| server.url(format!("/api/patients?doctor=5&page={page}&page_size=2"));
    let first = server.mock(|when, then| {
        when.method(GET)
            .path("/api/patients")
            .query_param("doctor", "5")
            .query_param("page_size", "2")
            .query_param_missing("page")
            .header("authorization", "Bearer at1");
        then.status(200)
            .json_body(json!({"next": next(2), "previous": null, "results": patients(1..3)}));
    });
    let second = server.mock(|when, then| {
        when.method(GET)
            .path("/api/patients")
            .query_param("page", "2")
            .query_param("page_size", "2")
            .header("authorization", "Bearer at1");
        then.status(200)
            .json_body(json!({"next": next(3), "previous": next(1), "results": patients(3..5)}));
    });
    let third = server.mock(|when, then| {
        when.method(GET)
            .path("/api/patients")
            .query_param("page", "3")
            .header("authorization", "Bearer at1");
        then.status(200)
            .json_body(json!({"next": null, "previous": next(2), "results": patients(5..6)}));
    });
    vec![first, second, third]
}

#[tokio::test]
async fn items_stream_across_three_pages_with_the_same_auth() {
    let server = MockServer::start();
    let mocks = three_pages(&server);
    let client = drchrono(&server.base_url());

    let ids: Vec<i64> = client
        .patients_list()
        .doctor(5)
        .page_size(2)
        .items()
        .map_ok(|p| p.id)
        .try_collect()
        .await
        .expect("three pages");

    assert_eq!(ids, [1, 2, 3, 4, 5]);
    for mock in &mocks {
        mock.assert_calls(1);
    }
}

#[tokio::test]
async fn pages_are_lazy_and_max_items_stops_fetching() {
    let server = MockServer::start();
    let mocks = three_pages(&server);
    let client = drchrono(&server.base_url());

    {
        let mut pages = client.patients_list().doctor(5).page_size(2).pages();
        let first = pages.next().await.expect("a page").expect("ok");
        assert_eq!(first.results.len(), 2);
        mocks[0].assert_calls(1);
        mocks[1].assert_calls(0);
    }

    let three: Vec<_> = client
        .patients_list()
        .doctor(5)
        .page_size(2)
        .items()
        .max_items(3)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(three.len(), 3);
    mocks[2].assert_calls(0);
}

#[tokio::test]
async fn prefetch_yields_the_same_items() {
    let server = MockServer::start();
    let mocks = three_pages(&server);
    let client = drchrono(&server.base_url());

    let ids: Vec<i64> = client
        .patients_list()
        .doctor(5)
        .page_size(2)
        .items()
        .prefetch(true)
        .map_ok(|p| p.id)
        .try_collect()
        .await
        .unwrap();

    assert_eq!(ids, [1, 2, 3, 4, 5]);
    for mock in &mocks {
        mock.assert_calls(1);
    }
}

#[tokio::test]
async fn prefetch_requests_the_next_page_while_the_current_one_is_consumed() {
    let server = MockServer::start();
    let mocks = three_pages(&server);
    let client = drchrono(&server.base_url());
    let mut items = client
        .patients_list()
        .doctor(5)
        .page_size(2)
        .items()
        .prefetch(true);

    // The first item comes with page 1; the second item's poll also starts page 2.
    assert_eq!(items.try_next().await.unwrap().map(|p| p.id), Some(1));
    assert_eq!(items.try_next().await.unwrap().map(|p| p.id), Some(2));
    // Page 2 is requested without the consumer asking for its items.
    for _ in 0..200 {
        if mocks[1].calls() == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    mocks[1].assert_calls(1);
    mocks[2].assert_calls(0);

    let rest: Vec<i64> = items.map_ok(|p| p.id).try_collect().await.unwrap();
    assert_eq!(rest, [3, 4, 5]);
}

#[tokio::test]
async fn the_stream_stops_at_a_mid_stream_500() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET)
            .path("/api/patients")
            .query_param_missing("page");
        then.status(200).json_body(json!({
            "next": server.url("/api/patients?page=2"), "previous": null, "results": patients(1..3)
        }));
    });
    let broken = server.mock(|when, then| {
        when.method(GET)
            .path("/api/patients")
            .query_param("page", "2");
        then.status(500).body("upstream exploded");
    });
    let client = drchrono(&server.base_url());

    let results: Vec<_> = client.patients_list().items().collect().await;

    assert_eq!(results.len(), 3, "two items, then the error, then nothing");
    assert!(results[0].is_ok() && results[1].is_ok());
    let err = results[2].as_ref().unwrap_err();
    assert_eq!(
        err.status(),
        Some(reqwest::StatusCode::INTERNAL_SERVER_ERROR)
    );
    assert_eq!(err.operation_id(), "patients_list");
    broken.assert_calls(1);
}

#[tokio::test]
async fn a_next_link_on_another_origin_is_refused_without_sending_anything() {
    let elsewhere = MockServer::start();
    let stolen = elsewhere.mock(|when, then| {
        when.any_request();
        then.status(200)
            .json_body(json!({"next": null, "previous": null, "results": []}));
    });
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET).path("/api/patients");
        then.status(200).json_body(json!({
            "next": elsewhere.url("/api/patients?page=2"), "previous": null, "results": patients(1..2)
        }));
    });
    let client = drchrono(&server.base_url());

    let results: Vec<_> = client.patients_list().items().collect().await;

    assert_eq!(results.len(), 2);
    let err = results[1].as_ref().unwrap_err();
    assert!(matches!(err, ehr_sdk::Error::Pagination { .. }), "{err}");
    assert!(err.to_string().contains("another origin"), "{err}");
    stolen.assert_calls(0);
}

#[tokio::test]
async fn a_repeated_next_link_ends_the_stream_with_a_typed_error() {
    let server = MockServer::start();
    let again = server.url("/api/patients?page=2");
    server.mock(|when, then| {
        when.method(GET).path("/api/patients");
        then.status(200)
            .json_body(json!({"next": again, "previous": null, "results": patients(1..2)}));
    });
    let client = drchrono(&server.base_url());

    let mut items = client.patients_list().items();
    let mut ids = Vec::new();
    let error = loop {
        match items.try_next().await {
            Ok(Some(p)) => ids.push(p.id),
            Ok(None) => panic!("a cycle must not end in silence"),
            Err(e) => break e,
        }
    };

    // Page 1 links to page 2, which (served by the same mock) links to itself: stop there.
    assert_eq!(ids, [1, 1]);
    assert!(
        matches!(&error, ehr_sdk::Error::Pagination { reason, .. } if reason.contains("cycles")),
        "{error}"
    );
}

#[tokio::test]
async fn elation_lists_page_through_the_same_machinery() {
    let server = MockServer::start();
    for (offset, next) in [(0, Some(2)), (2, Some(4)), (4, None)] {
        let next = next.map(|n| server.url(format!("/api/2.0/users/?limit=2&offset={n}")));
        server.mock(|when, then| {
            let when = when
                .method(GET)
                .path("/api/2.0/users/")
                .query_param("limit", "2");
            if offset == 0 {
                when.query_param_missing("offset");
            } else {
                when.query_param("offset", offset.to_string());
            }
            then.status(200).json_body(json!({
                "count": 5, "next": next, "previous": null,
                "results": [{"id": offset + 1}, {"id": offset + 2}]
            }));
        });
    }
    let client = ehr_sdk::elation::api::Client::with_runtime(
        &server.base_url(),
        ehr_runtime::Runtime::direct(),
    );

    let ids: Vec<i64> = client
        .users_list()
        .limit(2)
        .items()
        .map_ok(|u| u.id)
        .try_collect()
        .await
        .unwrap();

    assert_eq!(ids, [1, 2, 3, 4, 5, 6]);
}
