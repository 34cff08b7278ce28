//! The Health Gorilla façade as a user writes it, against httpmock: JWT-bearer tokens (claims
//! and signature decoded here), a token per acting user, FHIR paging, typed OperationOutcome,
//! and user creation from the NPI lookup.

use std::sync::{Arc, Mutex};

use ehr_sdk::auth::AuthError;
use ehr_sdk::auth::OAuthErrorCode;
use ehr_sdk::healthgorilla::{
    Account, AdministrativeRole, AsUserError, BuildError, Client, CreateUsers, OperationOutcomeExt,
    PractitionerRoleCode, Scope, UserCreation,
};
use ehr_sdk::pagination::Paginate;
use ehr_sdk::{Error, ErrorKind};
use futures::TryStreamExt;
use httpmock::Method::{GET, POST};
use httpmock::{HttpMockRequest, Mock, MockServer};
use serde_json::{Value, json};

const CLIENT_ID: &str = "hg-client-7";
const SECRET: &str = "hg-signing-secret-5d1f";
const NPI: &str = "1234567893";

#[derive(Debug, serde::Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    aud: String,
    iat: u64,
    exp: u64,
    jti: String,
}

/// The fields of a form.
type Form = Vec<(String, String)>;

/// Every token request a [`token_for`] endpoint matched.
type FormLog = Arc<Mutex<Vec<Form>>>;

/// The form fields of a token request.
fn form(req: &HttpMockRequest) -> Form {
    url::form_urlencoded::parse(&req.body().0)
        .into_owned()
        .collect()
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The assertion's claims, its HS256 signature checked with the client secret and its `aud`
/// checked against `token_url`.
fn verified_claims(assertion: &str, token_url: &str) -> Result<Claims, String> {
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_audience(&[token_url]);
    validation.set_required_spec_claims(&["exp", "iat", "aud", "iss", "sub"]);
    let key =
        jsonwebtoken::DecodingKey::from_secret(SECRET.as_bytes()).map_err(|e| e.to_string())?;
    jsonwebtoken::decode::<Claims>(assertion, &key, &validation)
        .map(|data| data.claims)
        .map_err(|e| e.to_string())
}

/// A token endpoint answering `answer` to assertions whose `sub` is `subject`, logging every
/// form it matched.
fn token_for<'a>(
    server: &'a MockServer,
    subject: &'static str,
    answer: Value,
    log: FormLog,
) -> Mock<'a> {
    let token_url = server.url("/oauth/token");
    server.mock(move |when, then| {
        when.method(POST)
            .path("/oauth/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .is_true(move |req| {
                let form = form(req);
                let matched = field(&form, "assertion")
                    .and_then(|a| verified_claims(a, &token_url).ok())
                    .is_some_and(|c| c.sub == subject);
                if matched {
                    log.lock().unwrap().push(form);
                }
                matched
            });
        then.status(200)
            .header("content-type", "application/json")
            .json_body(answer);
    })
}

fn token(access_token: &str, scope: Option<&str>) -> Value {
    let mut answer =
        json!({"access_token": access_token, "token_type": "Bearer", "expires_in": 3600});
    if let Some(scope) = scope {
        answer["scope"] = json!(scope);
    }
    answer
}

fn client(server: &MockServer, scopes: &[Scope]) -> Client {
    Client::builder()
        .environment(server.base_url(), server.url("/oauth/token"))
        .client_credentials(CLIENT_ID, SECRET)
        // The client's own calls act as the client id, as Health Gorilla's API reference has it.
        .default_subject(CLIENT_ID)
        .scopes(scopes.iter().cloned())
        .build()
        .expect("client builds")
}

fn practitioner(id: &str, npi: &str, family: &str) -> Value {
    json!({
        "resourceType": "Practitioner",
        "id": id,
        "meta": {"versionId": "1", "profile": ["https://healthgorilla.com/fhir/StructureDefinition/hg-practitioner"]},
        "identifier": [
            {"system": "https://www.healthgorilla.com", "value": id},
            {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "NPI"}]},
             "system": "http://hl7.org/fhir/sid/us-npi", "value": npi}
        ],
        "active": true,
        "name": [{"use": "official", "text": format!("Joe {family}, PA"), "family": family,
                  "given": ["Joe"], "suffix": ["PA"]}],
        "extension": [{"url": "https://example.org/unknown-extension", "valueQuantity": {"value": 3}}],
        "somethingNew": {"nested": [1, 2, 3]}
    })
}

fn bundle(entries: Vec<Value>, next: Option<String>, total: Option<u64>) -> Value {
    let mut links = vec![json!({"relation": "self", "url": "https://ignored.example/self"})];
    if let Some(next) = next {
        links.push(json!({"relation": "next", "url": next}));
    }
    let mut bundle = json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links,
        "entry": entries.into_iter().map(|resource| json!({
            "fullUrl": "https://sandbox.healthgorilla.com/fhir/R4/x",
            "resource": resource,
            "search": {"mode": "match"}
        })).collect::<Vec<_>>()
    });
    if let Some(total) = total {
        bundle["total"] = json!(total);
    }
    bundle
}

// --- tokens ----------------------------------------------------------------------------------

#[tokio::test]
async fn the_assertion_is_hs256_with_the_grants_claims_and_the_token_is_reused() {
    let server = MockServer::start();
    let log = Arc::new(Mutex::new(Vec::new()));
    let tokens = token_for(&server, CLIENT_ID, token("tok-default", None), log.clone());
    let read = server.mock(|when, then| {
        when.method(GET)
            .path("/fhir/R4/Practitioner/c91b")
            .header("authorization", "Bearer tok-default");
        then.status(200)
            .header("content-type", "application/fhir+json")
            .json_body(practitioner("c91b", NPI, "Gorilla"));
    });
    let client = client(&server, &[Scope::USER_ALL, Scope::CREATE_USERS]);

    for _ in 0..2 {
        let found = client.practitioner_read().id("c91b").send().await.unwrap();
        assert_eq!(found.id.as_deref(), Some("c91b"));
    }

    tokens.assert_calls(1);
    read.assert_calls(2);
    let log = log.lock().unwrap();
    let form = &log[0];
    assert_eq!(
        field(form, "grant_type"),
        Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    );
    assert_eq!(field(form, "client_id"), Some(CLIENT_ID));
    assert_eq!(field(form, "scope"), Some("user/*.* create_users"));
    let claims = verified_claims(
        field(form, "assertion").unwrap(),
        &server.url("/oauth/token"),
    )
    .expect("signed with the client secret, aud = the token URL");
    assert_eq!(claims.iss, CLIENT_ID);
    assert_eq!(claims.sub, CLIENT_ID, "sub defaults to the client id");
    assert_eq!(claims.aud, server.url("/oauth/token"));
    assert!(claims.exp > claims.iat && claims.exp - claims.iat <= 3600);
    assert!(claims.jti.len() >= 16);
    // The signature is really checked: another secret fails.
    let forged = jsonwebtoken::decode::<Claims>(
        field(form, "assertion").unwrap(),
        &jsonwebtoken::DecodingKey::from_secret(b"another secret").unwrap(),
        &jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256),
    );
    assert!(forged.is_err());
}

#[tokio::test]
async fn each_acting_user_gets_a_token_of_its_own_once() {
    let server = MockServer::start();
    let log = Arc::new(Mutex::new(Vec::new()));
    let alice_token = token_for(
        &server,
        "alice.admin",
        token("tok-alice", None),
        log.clone(),
    );
    let bob_token = token_for(&server, "bob.admin", token("tok-bob", None), log.clone());
    let reads: Vec<_> = ["tok-alice", "tok-bob"]
        .into_iter()
        .map(|token| {
            server.mock(move |when, then| {
                when.method(GET)
                    .path("/fhir/R4/Practitioner/c91b")
                    .header("authorization", format!("Bearer {token}"));
                then.status(200)
                    .json_body(practitioner("c91b", NPI, "Gorilla"));
            })
        })
        .collect();
    let client = client(&server, &[Scope::USER_ALL]);

    for _ in 0..2 {
        // A new scoped client each time: the user's token is still the cached one.
        let alice = client.as_user("alice.admin").unwrap();
        assert_eq!(alice.acting_as(), Some("alice.admin"));
        alice.practitioner_read().id("c91b").send().await.unwrap();
        let bob = client.as_user("bob.admin").unwrap();
        bob.practitioner_read().id("c91b").send().await.unwrap();
    }

    alice_token.assert_calls(1);
    bob_token.assert_calls(1);
    reads[0].assert_calls(2);
    reads[1].assert_calls(2);
    assert_eq!(client.acting_as(), None);
    assert_eq!(
        client.token_cache().fetch_count(),
        0,
        "the client's own token was never needed"
    );
}

#[tokio::test]
async fn an_expired_token_is_reasserted_not_refreshed() {
    let server = MockServer::start();
    let log = Arc::new(Mutex::new(Vec::new()));
    // Expired on arrival (`expires_in: 0`): each later call needs a new assertion. (A token
    // that lives shorter than the skew is used for half its life: see echoes_and_stampedes.rs.)
    let tokens = token_for(
        &server,
        CLIENT_ID,
        json!({"access_token": "tok-short", "token_type": "Bearer", "expires_in": 0}),
        log.clone(),
    );
    server.mock(|when, then| {
        when.method(GET).path("/fhir/R4/Practitioner/c91b");
        then.status(200)
            .json_body(practitioner("c91b", NPI, "Gorilla"));
    });
    let client = client(&server, &[Scope::USER_ALL]);

    client.practitioner_read().id("c91b").send().await.unwrap();
    client.practitioner_read().id("c91b").send().await.unwrap();

    tokens.assert_calls(2);
    let log = log.lock().unwrap();
    let jti = |i: usize| {
        verified_claims(
            field(&log[i], "assertion").unwrap(),
            &server.url("/oauth/token"),
        )
        .unwrap()
        .jti
    };
    assert_ne!(jti(0), jti(1), "each assertion has its own jti");
    assert!(log.iter().all(|f| field(f, "refresh_token").is_none()));
}

#[tokio::test]
async fn token_endpoint_refusals_name_their_oauth_error() {
    for (code, expected) in [
        ("invalid_grant", OAuthErrorCode::InvalidGrant),
        ("invalid_client", OAuthErrorCode::InvalidClient),
        ("invalid_scope", OAuthErrorCode::InvalidScope),
    ] {
        let server = MockServer::start();
        server.mock(|when, then| {
            when.method(POST).path("/oauth/token");
            then.status(400)
                .header("content-type", "application/json")
                .json_body(
                    json!({"error": code, "error_description": "Subject validation failed"}),
                );
        });
        let client = client(&server, &[Scope::USER_ALL]);

        let error = client
            .practitioner_read()
            .id("c91b")
            .send()
            .await
            .unwrap_err();

        let Error::Auth { source, .. } = &error else {
            panic!("expected an auth error, got {error:?}");
        };
        assert_eq!(source.oauth_error(), Some(&expected));
        assert!(
            matches!(source, AuthError::Refused { error: Some(e), .. } if *e == expected),
            "{source:?}"
        );
        assert_eq!(
            error.to_string(),
            format!(
                "practitioner_read: no credential: token endpoint refused (400 Bad Request): {code}: Subject validation failed"
            )
        );
    }
}

// --- paging ----------------------------------------------------------------------------------

#[tokio::test]
async fn a_name_search_yields_every_match_across_three_pages() {
    let server = MockServer::start();
    let log = Arc::new(Mutex::new(Vec::new()));
    token_for(&server, CLIENT_ID, token("tok", None), log);
    let next = |cursor: &str| {
        Some(format!(
            "{}/fhir/R4/Practitioner?name=nguyen&_cursor={cursor}",
            server.base_url()
        ))
    };
    let first = server.mock(|when, then| {
        when.method(GET)
            .path("/fhir/R4/Practitioner")
            .query_param("name", "nguyen")
            .query_param_missing("_cursor");
        then.status(200)
            .header("content-type", "application/fhir+json;charset=UTF-8")
            .json_body(bundle(
                vec![
                    practitioner("p1", "1000000001", "Nguyen"),
                    practitioner("p2", "1000000002", "Nguyen"),
                ],
                next("c2"),
                Some(5),
            ));
    });
    let second = server.mock(|when, then| {
        when.method(GET)
            .path("/fhir/R4/Practitioner")
            .query_param("_cursor", "c2")
            .header("authorization", "Bearer tok");
        then.status(200)
            .header("content-type", "application/fhir+json")
            .json_body(bundle(
                vec![
                    practitioner("p3", "1000000003", "Nguyen"),
                    // Not Practitioners: kept out of the items, and never a decode failure.
                    json!({"resourceType": "OperationOutcome", "issue": [{"severity": "information", "code": "informational"}]}),
                    json!({"resourceType": "Organization", "name": "Jungle Clinic", "alias": 5}),
                    practitioner("p4", "1000000004", "Nguyen"),
                ],
                next("c3"),
                Some(5),
            ));
    });
    let third = server.mock(|when, then| {
        when.method(GET)
            .path("/fhir/R4/Practitioner")
            .query_param("_cursor", "c3");
        then.status(200)
            .header("content-type", "application/fhir+json")
            .json_body(bundle(
                vec![practitioner("p5", "1000000005", "Nguyen")],
                None,
                Some(5),
            ));
    });
    let client = client(&server, &[Scope::USER_ALL]);

    let ids: Vec<String> = client
        .practitioner_search()
        .name("nguyen")
        .items()
        .map_ok(|p| p.id.unwrap_or_default())
        .try_collect()
        .await
        .expect("every page decodes");

    assert_eq!(ids, ["p1", "p2", "p3", "p4", "p5"]);
    first.assert_calls(1);
    second.assert_calls(1);
    third.assert_calls(1);
}

#[tokio::test]
async fn max_items_stops_paging_and_a_next_link_elsewhere_is_not_followed() {
    let server = MockServer::start();
    let log = Arc::new(Mutex::new(Vec::new()));
    token_for(&server, CLIENT_ID, token("tok", None), log);
    let first = server.mock(|when, then| {
        when.method(GET)
            .path("/fhir/R4/Practitioner")
            .query_param_missing("_cursor");
        then.status(200).json_body(bundle(
            vec![practitioner("p1", "1", "A"), practitioner("p2", "2", "B")],
            Some("https://evil.example/fhir/R4/Practitioner?_cursor=c2".into()),
            None,
        ));
    });
    let client = client(&server, &[Scope::USER_ALL]);

    let two: Vec<_> = client
        .practitioner_search()
        .family("a")
        .items()
        .max_items(2)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        two.len(),
        2,
        "the two items of the first page, no further page asked for"
    );

    let mut all = client.practitioner_search().family("a").items();
    assert!(all.try_next().await.unwrap().is_some());
    assert!(all.try_next().await.unwrap().is_some());
    let error = all.try_next().await.unwrap_err();
    assert!(
        matches!(&error, Error::Pagination { reason, .. } if reason.contains("https://evil.example")),
        "{error:?}"
    );
    first.assert_calls(2);
}

#[tokio::test]
async fn practitioner_roles_are_searched_and_paged_too() {
    let server = MockServer::start();
    let log = Arc::new(Mutex::new(Vec::new()));
    token_for(&server, CLIENT_ID, token("tok", None), log);
    let role = |id: &str| {
        json!({"resourceType": "PractitionerRole", "id": id, "active": true,
               "practitioner": {"reference": "Practitioner/p1"},
               "contained": [{"resourceType": "Organization", "name": "not a practitioner"}]})
    };
    server.mock(|when, then| {
        when.method(GET)
            .path("/fhir/R4/PractitionerRole")
            .query_param("practitioner", "Practitioner/p1")
            .query_param_missing("_offset");
        then.status(200).json_body(bundle(
            vec![role("r1")],
            Some(format!(
                "{}/fhir/R4/PractitionerRole?practitioner=Practitioner/p1&_offset=1",
                server.base_url()
            )),
            Some(2),
        ));
    });
    server.mock(|when, then| {
        when.method(GET)
            .path("/fhir/R4/PractitionerRole")
            .query_param("_offset", "1");
        then.status(200)
            .json_body(bundle(vec![role("r2")], None, Some(2)));
    });
    let client = client(&server, &[Scope::USER_ALL]);

    let pages: Vec<_> = client
        .practitioner_role_search()
        .practitioner("Practitioner/p1")
        .pages()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<_> = pages
        .into_iter()
        .flat_map(ehr_sdk::runtime::pagination::Page::into_items)
        .filter_map(|r| r.id)
        .collect();
    assert_eq!(ids, ["r1", "r2"]);
}

// --- errors ----------------------------------------------------------------------------------

#[tokio::test]
async fn an_operation_outcome_is_typed_and_display_shows_the_first_issue() {
    let server = MockServer::start();
    let log = Arc::new(Mutex::new(Vec::new()));
    token_for(&server, CLIENT_ID, token("tok", None), log);
    server.mock(|when, then| {
        when.method(GET).path("/fhir/R4/Practitioner/missing");
        then.status(404)
            .header("content-type", "application/fhir+json")
            .json_body(json!({
                "resourceType": "OperationOutcome",
                "issue": [
                    {"severity": "error", "code": "not-found",
                     "diagnostics": "Practitioner/missing is not known",
                     "details": {"text": "Resource not found"}},
                    {"severity": "warning", "code": "informational", "diagnostics": "second"}
                ]
            }));
    });
    let client = client(&server, &[Scope::USER_ALL]);

    let error = client
        .practitioner_read()
        .id("missing")
        .send()
        .await
        .unwrap_err();

    assert!(matches!(error, Error::NotFound(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        // R4's human-readable `details.text`, not the troubleshooting `diagnostics`.
        "practitioner_read: 404 Not Found: Resource not found (+1 more issue(s))"
    );
    let outcome = error.operation_outcome().expect("typed OperationOutcome");
    let issue = &outcome.issue[0];
    assert_eq!(
        serde_json::to_value(&issue.severity).unwrap(),
        json!("error")
    );
    assert_eq!(
        serde_json::to_value(&issue.code).unwrap(),
        json!("not-found")
    );
    assert_eq!(
        issue.diagnostics.as_deref(),
        Some("Practitioner/missing is not known")
    );
    assert_eq!(
        issue.details.as_ref().and_then(|d| d.text.as_deref()),
        Some("Resource not found")
    );
    assert_eq!(outcome.issue.len(), 2);
}

// --- creating users --------------------------------------------------------------------------

fn admin_account() -> Account {
    Account::new(
        "jgorilla",
        AdministrativeRole::Provider,
        PractitionerRoleCode::Doctor,
    )
    .password("pw-Never-Printed-1")
    .email("joe@example.org")
    .verified()
}

/// The NPI lookup, answering with `entries`.
fn lookup(server: &MockServer, entries: Vec<Value>, total: u64) -> Mock<'_> {
    server.mock(move |when, then| {
        when.method(GET).path("/fhir/R4/Practitioner").query_param(
            "identifier",
            format!("http://hl7.org/fhir/sid/us-npi|{NPI}"),
        );
        then.status(200)
            .header("content-type", "application/fhir+json")
            .json_body(bundle(entries, None, Some(total)));
    })
}

#[tokio::test]
async fn a_clinical_user_is_created_from_the_npi_lookup_with_the_name_copied_exactly() {
    let server = MockServer::start();
    let log = Arc::new(Mutex::new(Vec::new()));
    token_for(
        &server,
        "admin.login",
        token("tok-admin", Some("user/*.* create_users")),
        log,
    );
    let directory = practitioner("c91b", NPI, "Gorilla");
    let lookup = lookup(&server, vec![directory.clone()], 1);
    let expected_name = directory["name"].clone();
    let create = server.mock(move |when, then| {
        when.method(POST)
            .path("/fhir/R4/PractitionerRole")
            .header("authorization", "Bearer tok-admin")
            .header("content-type", "application/fhir+json")
            .is_true(move |req| {
                let body: Value = serde_json::from_slice(&req.body().0).unwrap_or_default();
                let contained = &body["contained"][0];
                contained["name"] == expected_name
                    && contained["identifier"][0]["value"] == NPI
                    && contained["extension"][0]["valueString"] == "jgorilla"
                    && body["practitioner"]["reference"] == "#pr"
                    && body["meta"]["tag"][0]["code"] == "VERIFIED"
            });
        then.status(201).header(
            "location",
            "https://sandbox.healthgorilla.com/fhir/R4/PractitionerRole/pr-123/_history/1",
        );
    });
    let client = client(&server, &[Scope::USER_ALL, Scope::CREATE_USERS]);

    let created = client
        .as_user("admin.login")
        .unwrap()
        .create_clinical_user(NPI, admin_account())
        .await
        .expect("created");

    lookup.assert_calls(1);
    create.assert_calls(1);
    assert_eq!(created.id.as_deref(), Some("pr-123"));
    assert_eq!(created.resource_type, "PractitionerRole");
    let created = serde_json::to_string(&created).unwrap();
    assert!(
        !created.contains("pw-Never-Printed-1"),
        "no password in what comes back"
    );
    assert!(created.contains("jgorilla"));
}

#[tokio::test]
async fn a_200_with_the_created_resource_is_returned_as_the_server_sent_it() {
    let server = MockServer::start();
    let log = Arc::new(Mutex::new(Vec::new()));
    token_for(&server, CLIENT_ID, token("tok", Some("create_users")), log);
    lookup(&server, vec![practitioner("c91b", NPI, "Gorilla")], 1);
    server.mock(|when, then| {
        when.method(POST).path("/fhir/R4/PractitionerRole");
        then.status(200)
            .header("content-type", "application/fhir+json")
            .json_body(
                json!({"resourceType": "PractitionerRole", "id": "pr-200", "active": true,
                              "meta": {"versionId": "1"}}),
            );
    });
    let client = client(&server, &[Scope::CREATE_USERS]);

    let created = client
        .create_clinical_user(NPI, admin_account())
        .await
        .unwrap();

    assert_eq!(created.id.as_deref(), Some("pr-200"));
    assert_eq!(
        created.meta.and_then(|m| m.version_id).as_deref(),
        Some("1")
    );
}

#[tokio::test]
async fn no_match_several_matches_or_a_bad_npi_are_typed_and_nothing_is_created() {
    let server = MockServer::start();
    let log = Arc::new(Mutex::new(Vec::new()));
    token_for(&server, CLIENT_ID, token("tok", Some("create_users")), log);
    let create = server.mock(|when, then| {
        when.method(POST).path("/fhir/R4/PractitionerRole");
        then.status(201);
    });
    let client = client(&server, &[Scope::CREATE_USERS]);

    let mut none = lookup(&server, vec![], 0);
    let error = client
        .create_clinical_user(NPI, admin_account())
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Outcome {
                code: UserCreation::NO_PRACTITIONER,
                operation_id: "practitioner_search",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        matches!(UserCreation::of(&error), Some(UserCreation::NoPractitioner { npi }) if npi == NPI),
        "{error:?}"
    );
    assert_eq!(error.kind(), ErrorKind::Outcome);
    assert_eq!(error.kind().as_str(), "outcome");
    none.delete();

    lookup(
        &server,
        vec![
            practitioner("a", NPI, "Gorilla"),
            practitioner("b", NPI, "Gorillaz"),
        ],
        2,
    );
    let error = client
        .create_clinical_user(NPI, admin_account())
        .await
        .unwrap_err();
    assert!(
        matches!(
            UserCreation::of(&error),
            Some(UserCreation::SeveralPractitioners { found: 2, .. })
        ),
        "{error:?}"
    );
    assert!(matches!(
        error,
        Error::Outcome {
            code: UserCreation::SEVERAL_PRACTITIONERS,
            ..
        }
    ));
    assert_eq!(
        error.to_string(),
        format!(
            "practitioner_search: 2 Practitioners with NPI {NPI} in Health Gorilla's directory; expected one"
        )
    );

    for bad in ["", "12a4", "1|2", "1,2"] {
        assert!(matches!(
            client.create_clinical_user(bad, admin_account()).await,
            Err(Error::InvalidRequest {
                operation_id: "practitioner_search",
                ..
            })
        ));
    }
    create.assert_calls(0);
}

#[tokio::test]
async fn without_create_users_creation_is_refused_before_sending() {
    let server = MockServer::start();
    let log = Arc::new(Mutex::new(Vec::new()));
    // Asked for create_users, but the token endpoint granted less: its answer wins.
    token_for(&server, CLIENT_ID, token("tok", Some("user/*.*")), log);
    lookup(&server, vec![practitioner("c91b", NPI, "Gorilla")], 1);
    let create = server.mock(|when, then| {
        when.method(POST).path("/fhir/R4/PractitionerRole");
        then.status(201);
    });
    let client = client(&server, &[Scope::USER_ALL, Scope::CREATE_USERS]);

    let error = client
        .create_clinical_user(NPI, admin_account())
        .await
        .unwrap_err();

    assert!(
        matches!(&error, Error::MissingScope { scope, .. } if scope == "create_users"),
        "{error:?}"
    );
    create.assert_calls(0);
}

#[tokio::test]
async fn a_duplicate_login_is_already_exists_with_its_outcome() {
    let server = MockServer::start();
    let log = Arc::new(Mutex::new(Vec::new()));
    token_for(&server, CLIENT_ID, token("tok", None), log);
    lookup(&server, vec![practitioner("c91b", NPI, "Gorilla")], 1);
    server.mock(|when, then| {
        when.method(POST).path("/fhir/R4/PractitionerRole");
        then.status(409)
            .header("content-type", "application/fhir+json")
            .json_body(json!({"resourceType": "OperationOutcome", "issue": [
                {"severity": "error", "code": "duplicate", "diagnostics": "Login jgorilla is already taken"}
            ]}));
    });
    // No scope in the answer: the requested scopes (with create_users) are what was granted.
    let client = client(&server, &[Scope::CREATE_USERS]);

    let error = client
        .create_clinical_user(NPI, admin_account())
        .await
        .unwrap_err();

    let Error::Conflict(answer) = &error else {
        panic!("expected Conflict (exists already), got {error:?}");
    };
    assert_eq!(answer.status().as_u16(), 409);
    let outcome = answer.operation_outcome().unwrap();
    assert_eq!(
        serde_json::to_value(&outcome.issue[0].code).unwrap(),
        json!("duplicate")
    );
    // The login the request sent is not printed; the outcome (an explicit look) has it.
    assert_eq!(
        error.to_string(),
        "practitioner_role_create: 409 Conflict: Login [redacted] is already taken"
    );
    assert_eq!(
        outcome.issue[0].diagnostics.as_deref(),
        Some("Login jgorilla is already taken")
    );
}

// --- configuration and secrets ---------------------------------------------------------------

#[test]
fn the_environment_and_credentials_are_checked_at_build() {
    let no_env = Client::builder()
        .client_credentials(CLIENT_ID, SECRET)
        .build();
    assert!(
        matches!(no_env, Err(BuildError::NoBaseUrl { .. })),
        "{no_env:?}"
    );

    let no_token_url = Client::builder()
        .base_url("https://sandbox.healthgorilla.com")
        .client_credentials(CLIENT_ID, SECRET)
        .build();
    assert!(
        matches!(no_token_url, Err(BuildError::Conflict(_))),
        "{no_token_url:?}"
    );

    let no_credentials = Client::builder().sandbox().build();
    assert!(matches!(
        no_credentials,
        Err(BuildError::NoCredentials { .. })
    ));

    let fixed = Client::builder()
        .sandbox()
        .access_token("tok")
        .build()
        .unwrap();
    assert_eq!(
        fixed.as_user("someone").unwrap_err(),
        AsUserError::NoSigningKey
    );

    let signing = Client::builder()
        .production()
        .client_credentials(CLIENT_ID, SECRET)
        .build()
        .unwrap();
    for bad in ["", "two words", "tab\there"] {
        assert_eq!(signing.as_user(bad).unwrap_err(), AsUserError::InvalidLogin);
    }
}

#[tokio::test]
async fn no_secret_token_assertion_or_password_in_debug_or_traces() {
    let traces = ehr_tests::TraceCapture::global();
    let server = MockServer::start();
    let log = Arc::new(Mutex::new(Vec::new()));
    token_for(
        &server,
        "admin.login",
        token("tok-admin-9f3e", Some("create_users")),
        log.clone(),
    );
    lookup(&server, vec![practitioner("c91b", NPI, "Gorilla")], 1);
    server.mock(|when, then| {
        when.method(POST).path("/fhir/R4/PractitionerRole");
        then.status(422)
            .header("content-type", "application/fhir+json")
            .json_body(json!({"resourceType": "OperationOutcome", "issue": [
                {"severity": "error", "code": "invalid", "diagnostics": "Name does not match"}]}));
    });
    let builder = Client::builder()
        .environment(server.base_url(), server.url("/oauth/token"))
        .client_credentials(CLIENT_ID, SECRET)
        .scopes([Scope::CREATE_USERS]);
    let printed_builder = format!("{builder:?}");
    let client = builder.build().unwrap();
    let admin = client.as_user("admin.login").unwrap();
    let account = admin_account();

    let error = admin
        .create_clinical_user(NPI, account.clone())
        .await
        .unwrap_err();
    assert!(matches!(&error, Error::Validation(_)), "{error:?}");

    let assertion = field(&log.lock().unwrap()[0], "assertion")
        .unwrap()
        .to_string();
    let printed = [
        printed_builder,
        format!("{client:?}"),
        format!("{admin:?}"),
        format!("{account:?}"),
        format!("{error:?}"),
        error.to_string(),
    ];
    let text = traces.text();
    for shown in printed.iter().map(String::as_str).chain([text.as_str()]) {
        for secret in [
            SECRET,
            "tok-admin-9f3e",
            assertion.as_str(),
            "pw-Never-Printed-1",
            "joe@example.org",
        ] {
            assert!(!shown.contains(secret), "`{secret}` printed in: {shown}");
        }
    }
    assert!(
        text.lines().any(|l| l.contains("ehr call finished")
            && l.contains("operation_id=\"practitioner_role_create\"")
            && l.contains("status=422")),
        "the creation was traced: {text}"
    );
}

#[tokio::test]
async fn acting_users_token_caches_are_swept_once_unused_and_expired() {
    let server = MockServer::start();
    let log = Arc::new(Mutex::new(Vec::new()));
    // Every other user's token expires on arrival; Bob's lives an hour.
    let token_url = server.url("/oauth/token");
    let others = server.mock(move |when, then| {
        when.method(POST).path("/oauth/token").is_true(move |req| {
            let form = form(req);
            field(&form, "assertion")
                .and_then(|a| verified_claims(a, &token_url).ok())
                .is_some_and(|c| c.sub.starts_with("user"))
        });
        then.status(200).json_body(
            json!({"access_token": "tok-other", "token_type": "Bearer", "expires_in": 0}),
        );
    });
    let bob_token = token_for(&server, "bob.admin", token("tok-bob", None), log.clone());
    server.mock(|when, then| {
        when.method(GET).path("/fhir/R4/Practitioner/c91b");
        then.status(200)
            .json_body(practitioner("c91b", NPI, "Gorilla"));
    });
    let client = client(&server, &[Scope::USER_ALL]);

    // Alice's client stays alive; Bob's token stays fresh.
    let alice = client.as_user("alice.admin").unwrap();
    let bob = client.as_user("bob.admin").unwrap();
    bob.practitioner_read().id("c91b").send().await.unwrap();
    drop(bob);
    for i in 0..300 {
        let user = client.as_user(&format!("user{i}")).unwrap();
        user.practitioner_read().id("c91b").send().await.unwrap();
    }

    others.assert_calls(300);
    assert!(
        client.user_token_caches() <= 2 * 64,
        "{} caches kept for 302 users",
        client.user_token_caches()
    );
    // Bob's fresh token was kept: a new client acting for him asks for none.
    let bob = client.as_user("bob.admin").unwrap();
    bob.practitioner_read().id("c91b").send().await.unwrap();
    bob_token.assert_calls(1);
    assert_eq!(alice.acting_as(), Some("alice.admin"));
}

#[tokio::test]
async fn without_a_subject_the_clients_own_calls_are_refused_before_sending() {
    let server = MockServer::start();
    let log = Arc::new(Mutex::new(Vec::new()));
    let token_mock = token_for(&server, CLIENT_ID, token("tok", None), log.clone());
    let search = server.mock(|when, then| {
        when.method(GET).path("/fhir/R4/Practitioner");
        then.status(200).json_body(bundle(vec![], None, Some(0)));
    });
    let client = Client::builder()
        .environment(server.base_url(), server.url("/oauth/token"))
        .client_credentials(CLIENT_ID, SECRET)
        .build()
        .expect("builds: as_user needs no default subject");

    for _ in 0..2 {
        let error = client.practitioner_search().send().await.unwrap_err();
        assert!(
            matches!(
                &error,
                Error::Auth {
                    source: AuthError::NotConfigured(_),
                    ..
                }
            ),
            "{error:?}"
        );
        let shown = error.to_string();
        assert!(
            shown.contains(".as_user(login)") && shown.contains(".default_subject(login)"),
            "{shown}"
        );
    }
    token_mock.assert_calls(0);
    search.assert_calls(0);

    // A user's copy asserts as that user.
    client
        .as_user(CLIENT_ID)
        .unwrap()
        .practitioner_search()
        .send()
        .await
        .expect("as a user");
    search.assert_calls(1);
}
