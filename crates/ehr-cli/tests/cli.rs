//! The built `ehr` binary, as a user runs it, against local mock servers (127.0.0.1 only):
//! what it prints, what the server sees, and its exit code.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use httpmock::prelude::*;

/// A throwaway config directory: profiles and tokens of one test.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `ehr` with this config directory, no profile from the environment, and `args`.
    fn ehr(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ehr"));
        command
            .args(args)
            .env("EHR_CONFIG_DIR", self.path())
            .env_remove("EHR_PROFILE")
            .stdin(Stdio::null());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.ehr(args).output().unwrap()
    }

    /// Logs in to `vendor` with a fixed access token, for calls to `base_url`.
    fn login_with_token(&self, vendor: &str, base_url: &str, token: &str) {
        let output = self
            .ehr(&[
                "auth",
                "login",
                vendor,
                "--access-token",
                "--secret-env",
                "EHR_TEST_TOKEN",
                "--base-url",
                base_url,
            ])
            .env("EHR_TEST_TOKEN", token)
            .output()
            .unwrap();
        assert!(output.status.success(), "login: {}", text(&output.stderr));
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn patient(id: u64) -> serde_json::Value {
    serde_json::json!({"id": id, "first_name": "Jane", "last_name": format!("Doe {id}"), "doctor": 5})
}

/// A DrChrono patients list of `pages` pages of `per_page` patients, linked by `next`.
fn patient_pages(server: &MockServer, pages: u64, per_page: u64) {
    for page in 1..=pages {
        let results: Vec<_> = (0..per_page).map(|i| patient(page * 100_000 + i)).collect();
        let next = (page < pages).then(|| server.url(format!("/api/patients?page={}", page + 1)));
        server.mock(|when, then| {
            let when = when.method(GET).path("/api/patients");
            if page == 1 {
                when.query_param_missing("page");
            } else {
                when.query_param("page", page.to_string());
            }
            then.status(200)
                .json_body(serde_json::json!({"next": next, "previous": null, "results": results}));
        });
    }
}

#[test]
fn a_list_is_streamed_as_ndjson_across_pages_with_the_profiles_token() {
    let server = MockServer::start();
    patient_pages(&server, 3, 2);
    let home = Home::new();
    home.login_with_token("drchrono", &server.base_url(), "cli-token");

    let output = home.run(&[
        "drchrono", "patients", "list", "--doctor", "5", "--all", "--format", "ndjson",
    ]);

    assert!(output.status.success(), "{}", text(&output.stderr));
    let records: Vec<serde_json::Value> = text(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 6, "every record of the 3 pages");
    assert_eq!(records[0]["id"], 100_000);
    assert_eq!(records[5]["id"], 300_001);
    assert!(
        !text(&output.stderr).contains("cli-token"),
        "no token on stderr"
    );
}

#[test]
fn without_all_a_list_prints_its_first_page_and_limit_stops_early() {
    let server = MockServer::start();
    patient_pages(&server, 3, 2);
    let home = Home::new();
    home.login_with_token("drchrono", &server.base_url(), "cli-token");

    let first = home.run(&["drchrono", "patients", "list", "--format", "json"]);
    let limited = home.run(&[
        "drchrono", "patients", "list", "--limit", "3", "--format", "json",
    ]);

    let first: Vec<serde_json::Value> = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(first.len(), 2);
    let limited: Vec<serde_json::Value> = serde_json::from_slice(&limited.stdout).unwrap();
    assert_eq!(limited.len(), 3, "two pages fetched, cut at 3 records");
}

#[test]
fn the_server_sees_the_flags_as_typed_query_values_and_the_bearer_token() {
    let server = MockServer::start();
    let list = server.mock(|when, then| {
        when.method(GET)
            .path("/api/patients")
            .query_param("doctor", "5")
            .query_param("date_of_birth", "1980-02-29")
            .header("authorization", "Bearer cli-token");
        then.status(200)
            .json_body(serde_json::json!({"next": null, "previous": null, "results": []}));
    });
    let home = Home::new();
    home.login_with_token("drchrono", &server.base_url(), "cli-token");

    let output = home.run(&[
        "drchrono",
        "patients",
        "list",
        "--doctor",
        "5",
        "--date-of-birth",
        "1980-02-29",
    ]);

    assert!(output.status.success(), "{}", text(&output.stderr));
    list.assert();
    assert_eq!(text(&output.stdout), "[]\n");
}

#[test]
fn a_bad_flag_value_is_a_usage_error_before_anything_is_sent() {
    let server = MockServer::start();
    let any = server.mock(|when, then| {
        when.any_request();
        then.status(200);
    });
    let home = Home::new();
    home.login_with_token("drchrono", &server.base_url(), "cli-token");

    let not_a_date = home.run(&[
        "drchrono",
        "patients",
        "list",
        "--date-of-birth",
        "1980-02-30",
    ]);
    let not_a_number = home.run(&["drchrono", "patients", "list", "--doctor", "five"]);
    let missing_id = home.run(&["drchrono", "patients", "retrieve"]);

    for output in [&not_a_date, &not_a_number, &missing_id] {
        assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    }
    assert!(text(&not_a_date.stderr).contains("--date-of-birth"));
    assert!(text(&missing_id.stderr).contains("--id"));
    assert_eq!(any.calls(), 0);
}

#[test]
fn a_refused_call_exits_with_its_class_and_the_sdks_message() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET).path("/api/patients/42");
        then.status(404)
            .json_body(serde_json::json!({"detail": "Not found."}));
    });
    server.mock(|when, then| {
        when.method(GET).path("/api/patients/43");
        then.status(429)
            .header("retry-after", "0")
            .json_body(serde_json::json!({"detail": "Slow down."}));
    });
    let home = Home::new();
    home.login_with_token("drchrono", &server.base_url(), "cli-token");

    let missing = home.run(&["drchrono", "patients", "retrieve", "--id", "42"]);
    let limited = home.run(&["drchrono", "patients", "retrieve", "--id", "43"]);

    assert_eq!(
        limited.status.code(),
        Some(6),
        "rate limited: {}",
        text(&limited.stderr)
    );
    assert_eq!(missing.status.code(), Some(4), "not found");
    let stderr = text(&missing.stderr);
    assert!(stderr.starts_with("error: patients_retrieve"), "{stderr}");
    assert!(stderr.contains("Not found."), "{stderr}");
    assert!(missing.stdout.is_empty());
}

#[test]
fn without_credentials_a_call_exits_with_the_auth_code_naming_the_fix() {
    let home = Home::new();

    let output = home.run(&["drchrono", "patients", "list"]);

    assert_eq!(output.status.code(), Some(3));
    assert!(text(&output.stderr).contains("ehr auth login drchrono"));
}

#[test]
fn a_create_sends_its_body_file_checked_against_the_type_first() {
    let server = MockServer::start();
    let created = server.mock(|when, then| {
        when.method(POST)
            .path("/api/allergies")
            .json_body_includes(r#"{"patient": 7, "doctor": 5, "notes": "peanuts"}"#);
        then.status(201).json_body(
            serde_json::json!({"id": 99, "patient": 7, "doctor": 5, "notes": "peanuts"}),
        );
    });
    let home = Home::new();
    home.login_with_token("drchrono", &server.base_url(), "cli-token");
    let good = home.path().join("allergy.json");
    std::fs::write(&good, r#"{"patient": 7, "doctor": 5, "notes": "peanuts"}"#).unwrap();
    let bad = home.path().join("bad.json");
    std::fs::write(&bad, r#"{"patient": "seven", "doctor": 5}"#).unwrap();

    let output = home.run(&["drchrono", "allergies", "create", "--body", path(&good)]);
    let refused = home.run(&["drchrono", "allergies", "create", "--body", path(&bad)]);

    assert!(output.status.success(), "{}", text(&output.stderr));
    created.assert();
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answer["id"], 99);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    assert!(text(&refused.stderr).contains("patient"), "names the field");
    assert_eq!(created.calls(), 1, "the bad body was never sent");
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_body_template_is_an_example_body_that_the_command_accepts() {
    let server = MockServer::start();
    let created = server.mock(|when, then| {
        when.method(POST).path("/api/allergies");
        then.status(201).json_body(serde_json::json!({"id": 1}));
    });
    let home = Home::new();
    home.login_with_token("drchrono", &server.base_url(), "cli-token");

    let template = home.run(&["drchrono", "allergies", "create", "--body-template"]);
    let file = home.path().join("template.json");
    std::fs::write(&file, &template.stdout).unwrap();
    let sent = home.run(&["drchrono", "allergies", "create", "--body", path(&file)]);

    assert!(template.status.success());
    let example: serde_json::Value = serde_json::from_slice(&template.stdout).unwrap();
    assert!(example.get("patient").is_some(), "{example}");
    assert!(sent.status.success(), "{}", text(&sent.stderr));
    assert_eq!(created.calls(), 1);
}

#[test]
fn on_behalf_of_reaches_elation_as_its_header() {
    let server = MockServer::start();
    let acting = server.mock(|when, then| {
        when.method(GET)
            .path("/api/2.0/patients/")
            .header("x-on-behalf-of", "131");
        then.status(200).json_body(
            serde_json::json!({"count": 0, "next": null, "previous": null, "results": []}),
        );
    });
    let home = Home::new();
    home.login_with_token("elation", &server.base_url(), "elation-token");

    let output = home.run(&["elation", "patients", "list", "--on-behalf-of", "131"]);

    assert!(output.status.success(), "{}", text(&output.stderr));
    acting.assert();
}

#[test]
fn a_closed_pipe_ends_the_command_quietly_with_exit_0() {
    let server = MockServer::start();
    // Far more than a pipe holds (64 KiB), so the writer meets the closed pipe.
    patient_pages(&server, 4, 1000);
    let home = Home::new();
    home.login_with_token("drchrono", &server.base_url(), "cli-token");
    let ehr = PathBuf::from(env!("CARGO_BIN_EXE_ehr"));

    let output = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -o pipefail; '{}' drchrono patients list --all --format ndjson | head -1",
            ehr.display()
        ))
        .env("EHR_CONFIG_DIR", home.path())
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout).lines().count(), 1);
    assert!(output.stderr.is_empty(), "quiet: {}", text(&output.stderr));
}

#[test]
fn profiles_are_private_and_status_never_prints_a_secret() {
    let home = Home::new();
    let output = home
        .ehr(&[
            "auth",
            "login",
            "elation",
            "--client-id",
            "svc",
            "--secret-env",
            "S",
            "--scope",
            "apiv2",
        ])
        .env("S", "elation-client-secret")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));

    let status = home.run(&["auth", "status"]);

    let shown = text(&status.stdout);
    assert!(shown.contains("elation: client credentials"), "{shown}");
    assert!(shown.contains("client id svc"), "{shown}");
    assert!(!shown.contains("elation-client-secret"), "{shown}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.path().join("profiles.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn version_names_every_vendors_spec_version() {
    let output = Home::new().run(&["--version"]);

    assert!(output.status.success());
    let version = text(&output.stdout);
    for vendor in ["drchrono v4", "elation 2.0", "healthgorilla", "empego"] {
        assert!(version.contains(vendor), "{version}");
    }
}

/// The browser's part of a login: follows the authorize URL's redirect back to the listener
/// with `code` and `state`, and returns the listener's answer.
fn browser_redirect(redirect_uri: &str, code: &str, state: &str) -> String {
    use std::io::{Read, Write};
    let target = url::Url::parse(redirect_uri).unwrap();
    let mut socket =
        std::net::TcpStream::connect((target.host_str().unwrap(), target.port().unwrap())).unwrap();
    write!(
        socket,
        "GET {}?code={code}&state={state} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n",
        target.path()
    )
    .unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).unwrap();
    answer
}

/// Starts `ehr auth login drchrono` against `server` and returns the child and the authorize
/// URL it printed.
fn start_drchrono_login(home: &Home, server: &MockServer) -> (std::process::Child, url::Url) {
    use std::io::BufRead;
    let mut child = home
        .ehr(&[
            "auth",
            "login",
            "drchrono",
            "--client-id",
            "cid",
            "--secret-env",
            "DRCHRONO_SECRET",
            "--port",
            "0",
            "--scope",
            "patients:read",
            "--scope",
            "calendar",
            "--base-url",
            &server.base_url(),
        ])
        .env("DRCHRONO_SECRET", "drchrono-secret")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read stderr to its end on a thread of its own (the login goes on writing to it), and
    // hand over the authorize URL as soon as it is printed.
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if line.contains("/o/authorize/") {
                let _ = sender.send(line.clone());
            }
            // Shown with the test's output when it fails.
            eprintln!("ehr: {line}");
        }
    });
    let line = receiver
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the authorize URL is printed");
    (child, url::Url::parse(line.trim()).unwrap())
}

fn query(url: &url::Url, key: &str) -> String {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no {key} in {url}"))
}

#[test]
fn drchrono_login_runs_the_code_flow_through_the_loopback_listener_then_refreshes_and_rotates() {
    let server = MockServer::start();
    let exchange = server.mock(|when, then| {
        when.method(POST)
            .path("/o/token/")
            .body_includes("grant_type=authorization_code")
            .body_includes("code=the-code");
        // Already expired: the next command refreshes.
        then.status(200).json_body(serde_json::json!({
            "access_token": "at-1", "refresh_token": "rt-1", "expires_in": 0, "scope": "patients:read calendar"
        }));
    });
    let refresh = server.mock(|when, then| {
        when.method(POST)
            .path("/o/token/")
            .body_includes("grant_type=refresh_token")
            .body_includes("refresh_token=rt-1");
        then.status(200).json_body(serde_json::json!({
            "access_token": "at-2", "refresh_token": "rt-2", "expires_in": 3600
        }));
    });
    let list = server.mock(|when, then| {
        when.method(GET)
            .path("/api/patients")
            .header("authorization", "Bearer at-2");
        then.status(200).json_body(
            serde_json::json!({"next": null, "previous": null, "results": [patient(1)]}),
        );
    });
    let home = Home::new();

    let (mut login, authorize) = start_drchrono_login(&home, &server);
    assert_eq!(query(&authorize, "scope"), "patients:read calendar");
    assert_eq!(query(&authorize, "client_id"), "cid");
    let redirect_uri = query(&authorize, "redirect_uri");
    assert!(
        redirect_uri.starts_with("http://127.0.0.1:"),
        "{redirect_uri}"
    );
    let page = browser_redirect(&redirect_uri, "the-code", &query(&authorize, "state"));
    let status = login.wait().unwrap();

    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(status.success());
    exchange.assert();
    let listed = home.run(&["drchrono", "patients", "list", "--format", "ndjson"]);
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    refresh.assert();
    list.assert();
    let stored = std::fs::read_to_string(home.path().join("tokens/default/drchrono.json")).unwrap();
    assert!(
        stored.contains("rt-2") && !stored.contains("rt-1"),
        "the rotated token is kept"
    );
    let shown = home.run(&["auth", "status"]);
    let shown = text(&shown.stdout);
    assert!(shown.contains("drchrono: authorization code"), "{shown}");
    assert!(
        !shown.contains("at-2") && !shown.contains("rt-2"),
        "{shown}"
    );
}

#[test]
fn a_redirect_with_another_state_ends_the_login_without_spending_the_code() {
    let server = MockServer::start();
    let exchange = server.mock(|when, then| {
        when.method(POST).path("/o/token/");
        then.status(200)
            .json_body(serde_json::json!({"access_token": "at"}));
    });
    let home = Home::new();

    let (mut login, authorize) = start_drchrono_login(&home, &server);
    let page = browser_redirect(&query(&authorize, "redirect_uri"), "the-code", "forged");
    let status = login.wait().unwrap();

    assert!(page.starts_with("HTTP/1.1 400"), "{page}");
    assert_eq!(status.code(), Some(3));
    assert_eq!(exchange.calls(), 0);
    assert!(!home.path().join("tokens/default/drchrono.json").exists());
}

#[test]
fn logout_revokes_drchronos_token_then_forgets_the_profile() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(POST).path("/o/token/");
        then.status(200).json_body(serde_json::json!({
            "access_token": "at-1", "refresh_token": "rt-1", "expires_in": 3600
        }));
    });
    let revoke = server.mock(|when, then| {
        when.method(POST)
            .path("/o/revoke_token/")
            .body_includes("token=at-1");
        then.status(200);
    });
    let home = Home::new();
    let (mut login, authorize) = start_drchrono_login(&home, &server);
    browser_redirect(
        &query(&authorize, "redirect_uri"),
        "c",
        &query(&authorize, "state"),
    );
    assert!(login.wait().unwrap().success());

    let logout = home.run(&["auth", "logout", "drchrono"]);

    assert!(logout.status.success(), "{}", text(&logout.stderr));
    revoke.assert();
    assert!(!home.path().join("tokens/default/drchrono.json").exists());
    let after = home.run(&["drchrono", "patients", "list"]);
    assert_eq!(after.status.code(), Some(3));
}

/// A raw HTTP/1.1 request to 127.0.0.1; returns the status and the body.
fn http(
    method: &str,
    address: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    use std::io::{Read, Write};
    let mut socket = std::net::TcpStream::connect(address).unwrap();
    let mut request = format!(
        "{method} {target} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    socket.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn drchrono_delivery_headers<'a>(secret: &'a str, id: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        (ehr_sdk::drchrono::SIGNATURE_HEADER, secret),
        (ehr_sdk::drchrono::EVENT_HEADER, "PATIENT_CREATE"),
        (ehr_sdk::drchrono::DELIVERY_HEADER, id),
        ("content-type", "application/json"),
    ]
}

const DELIVERY_BODY: &str =
    r#"{"receiver": {"id": 1}, "object": {"id": 77, "first_name": "Jane", "doctor": 5}}"#;

#[test]
fn webhook_listen_answers_the_handshake_and_prints_each_verified_delivery_once() {
    use std::io::BufRead;
    let home = Home::new();
    let mut listener = home
        .ehr(&[
            "webhook",
            "listen",
            "drchrono",
            "--port",
            "0",
            "--secret-env",
            "HOOK_SECRET",
        ])
        .env("HOOK_SECRET", "hook-secret")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(listener.stderr.take().unwrap()).lines();
    let first = stderr.next().unwrap().unwrap();
    let address = first
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in {first}"))
        .to_string();
    std::thread::spawn(move || stderr.for_each(drop));
    let stdout = std::io::BufReader::new(listener.stdout.take().unwrap());
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });

    let (status, answer) = http("GET", &address, "/hooks?msg=hello", &[], "");
    let forged = http(
        "POST",
        &address,
        "/hooks",
        &drchrono_delivery_headers("wrong", "d-0"),
        DELIVERY_BODY,
    );
    let delivered = http(
        "POST",
        &address,
        "/hooks",
        &drchrono_delivery_headers("hook-secret", "d-1"),
        DELIVERY_BODY,
    );
    let again = http(
        "POST",
        &address,
        "/hooks",
        &drchrono_delivery_headers("hook-secret", "d-1"),
        DELIVERY_BODY,
    );
    let printed = received
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the delivery is printed");
    let more = received.recv_timeout(std::time::Duration::from_millis(500));
    listener.kill().unwrap();
    let _ = listener.wait();

    assert_eq!(status, 200);
    let expected = ehr_sdk::drchrono::WebhookVerifier::new("hook-secret").handshake_answer("hello");
    assert_eq!(answer, serde_json::to_string(&expected).unwrap());
    assert_eq!(forged.0, 401, "a wrong secret is refused");
    assert_eq!((delivered.0, again.0), (200, 200));
    let event: serde_json::Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(event["event"], "PATIENT_CREATE");
    assert_eq!(event["id"], "d-1");
    assert_eq!(event["object"]["id"], 77);
    assert!(
        more.is_err(),
        "the redelivery and the forged one print nothing: {more:?}"
    );
}

#[test]
fn webhook_verify_checks_a_saved_delivery_and_exits_5_when_it_does_not_verify() {
    let home = Home::new();
    let headers = home.path().join("headers.txt");
    let body = home.path().join("body.json");
    let mut dump = String::from("POST /hooks HTTP/1.1\r\n");
    for (name, value) in drchrono_delivery_headers("hook-secret", "d-9") {
        dump.push_str(&format!("{name}: {value}\r\n"));
    }
    std::fs::write(&headers, dump).unwrap();
    std::fs::write(&body, DELIVERY_BODY).unwrap();
    let args = [
        "webhook",
        "verify",
        "drchrono",
        "--headers",
        path(&headers),
        "--body",
        path(&body),
        "--secret-env",
        "HOOK_SECRET",
    ];

    let good = home
        .ehr(&args)
        .env("HOOK_SECRET", "hook-secret")
        .output()
        .unwrap();
    let bad = home
        .ehr(&args)
        .env("HOOK_SECRET", "another-secret")
        .output()
        .unwrap();

    assert!(good.status.success(), "{}", text(&good.stderr));
    let event: serde_json::Value = serde_json::from_slice(&good.stdout).unwrap();
    assert_eq!(event["object"]["first_name"], "Jane");
    assert_eq!(bad.status.code(), Some(5));
    assert!(
        text(&bad.stderr).contains("does not verify"),
        "{}",
        text(&bad.stderr)
    );
    assert!(bad.stdout.is_empty());
}

#[test]
fn completions_cover_the_generated_commands() {
    let output = Home::new().run(&["completions", "bash"]);

    assert!(output.status.success());
    let script = text(&output.stdout);
    assert!(script.contains("_ehr"), "a bash completion function");
    assert!(script.contains("patients") && script.contains("--on-behalf-of"));
}

#[test]
fn api_pages_a_raw_path_through_the_facade_with_the_profiles_auth() {
    let server = MockServer::start();
    let page2 = server.url("/api/custom_things?cursor=2");
    let first = server.mock(|when, then| {
        when.method(GET)
            .path("/api/custom_things")
            .query_param("kind", "a")
            .header("authorization", "Bearer cli-token");
        then.status(200)
            .json_body(serde_json::json!({"next": page2, "results": [{"id": 1}, {"id": 2}]}));
    });
    let second = server.mock(|when, then| {
        when.method(GET)
            .path("/api/custom_things")
            .query_param("cursor", "2")
            .header("authorization", "Bearer cli-token");
        then.status(200)
            .json_body(serde_json::json!({"next": null, "results": [{"id": 3}]}));
    });
    let home = Home::new();
    home.login_with_token("drchrono", &server.base_url(), "cli-token");

    let output = home.run(&[
        "drchrono",
        "api",
        "GET",
        "/api/custom_things",
        "--field",
        "kind=a",
        "--paginate",
        "--format",
        "ndjson",
    ]);

    assert!(output.status.success(), "{}", text(&output.stderr));
    first.assert();
    second.assert();
    let ids: Vec<u64> = text(&output.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(ids, [1, 2, 3]);
}

#[test]
fn api_sends_fields_as_a_json_body_acts_for_the_user_and_refuses_another_origin() {
    let server = MockServer::start();
    let created = server.mock(|when, then| {
        when.method(POST)
            .path("/api/2.0/custom/")
            .header("x-on-behalf-of", "131")
            .json_body(serde_json::json!({"name": "x", "count": 2}));
        then.status(201).json_body(serde_json::json!({"id": 9}));
    });
    let elsewhere = MockServer::start();
    let stolen = elsewhere.mock(|when, then| {
        when.any_request();
        then.status(200);
    });
    let home = Home::new();
    home.login_with_token("elation", &server.base_url(), "elation-token");

    let output = home.run(&[
        "elation",
        "api",
        "post",
        "/api/2.0/custom/",
        "-f",
        "name=x",
        "-f",
        "count=2",
        "--on-behalf-of",
        "131",
    ]);
    let refused = home.run(&["elation", "api", "GET", &elsewhere.url("/steal")]);

    assert!(output.status.success(), "{}", text(&output.stderr));
    created.assert();
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answer["id"], 9);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("origin"));
    assert_eq!(stolen.calls(), 0);
}

#[test]
fn csv_with_columns_writes_the_chosen_fields_of_every_record() {
    let server = MockServer::start();
    patient_pages(&server, 2, 2);
    let home = Home::new();
    home.login_with_token("drchrono", &server.base_url(), "cli-token");

    let output = home.run(&[
        "drchrono",
        "patients",
        "list",
        "--all",
        "--format",
        "csv",
        "--columns",
        "id,last_name",
    ]);

    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "id,last_name\n100000,Doe 100000\n100001,Doe 100001\n200000,Doe 200000\n200001,Doe 200001\n"
    );
}

#[test]
fn empego_as_user_sends_the_typed_integration_user_and_prints_the_url() {
    let server = MockServer::start();
    let user = ehr_sdk::empego::IntegrationUser::existing("u-1")
        .first_name("Ann")
        .to_header()
        .unwrap();
    let view = server.mock(|when, then| {
        when.method(GET)
            .path("/empego-integrations/R4/embeddable/statistics")
            .header("api-key", "empego-key")
            .header("x-integration-user", user.as_str());
        then.status(200)
            .header("content-type", "text/plain")
            .body("https://app.empego.example/embed/one-time");
    });
    let home = Home::new();
    let login = home
        .ehr(&[
            "auth",
            "login",
            "empego",
            "--secret-env",
            "K",
            "--base-url",
            &server.base_url(),
        ])
        .env("K", "empego-key")
        .output()
        .unwrap();
    assert!(login.status.success(), "{}", text(&login.stderr));

    let output = home.run(&[
        "empego",
        "statistics",
        "dashboard",
        "--as-user",
        "u-1",
        "--as-user-first-name",
        "Ann",
    ]);

    assert!(output.status.success(), "{}", text(&output.stderr));
    view.assert();
    assert_eq!(
        text(&output.stdout),
        "https://app.empego.example/embed/one-time"
    );
}

/// The `sub` claim of the JWT assertion in a token request's form body.
fn assertion_subject(body: &[u8]) -> Option<String> {
    use base64::Engine as _;
    let assertion = url::form_urlencoded::parse(body)
        .find(|(k, _)| k == "assertion")
        .map(|(_, v)| v.into_owned())?;
    let payload = assertion.split('.').nth(1)?;
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .ok()?,
    )
    .ok()?;
    claims["sub"].as_str().map(str::to_string)
}

#[test]
fn healthgorilla_as_user_signs_the_users_login_and_pages_the_bundle() {
    let server = MockServer::start();
    let token = server.mock(|when, then| {
        when.method(POST).path("/oauth/token").is_true(|request| {
            assertion_subject(request.body().as_ref()).as_deref() == Some("dr.who")
        });
        then.status(200)
            .json_body(serde_json::json!({"access_token": "hg-user-token", "expires_in": 3600}));
    });
    let search = server.mock(|when, then| {
        when.method(GET)
            .path("/fhir/R4/Practitioner")
            .query_param("identifier", "1234567893")
            .header("authorization", "Bearer hg-user-token");
        then.status(200).json_body(serde_json::json!({
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": {"resourceType": "Practitioner", "id": "p-1"}}],
        }));
    });
    let home = Home::new();
    let login = home
        .ehr(&[
            "auth",
            "login",
            "healthgorilla",
            "--client-id",
            "hg-client",
            "--secret-env",
            "S",
            "--subject",
            "admin",
            "--base-url",
            &server.base_url(),
            "--token-url",
            &server.url("/oauth/token"),
            "--scope",
            "user/*.*",
        ])
        .env("S", "hg-secret-at-least-32-bytes-long-xx")
        .output()
        .unwrap();
    assert!(login.status.success(), "{}", text(&login.stderr));

    let output = home.run(&[
        "healthgorilla",
        "practitioner",
        "search",
        "--identifier",
        "1234567893",
        "--as-user",
        "dr.who",
        "--format",
        "ndjson",
    ]);

    assert!(output.status.success(), "{}", text(&output.stderr));
    token.assert();
    search.assert();
    let record: serde_json::Value =
        serde_json::from_str(text(&output.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(record["id"], "p-1");
}

#[test]
fn verbose_traces_each_call_on_stderr_without_its_token_or_body() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET).path("/api/patients/42");
        then.status(200).json_body(patient(42));
    });
    let home = Home::new();
    home.login_with_token("drchrono", &server.base_url(), "cli-token");

    let output = home.run(&[
        "drchrono",
        "patients",
        "retrieve",
        "--id",
        "42",
        "--verbose",
    ]);

    assert!(output.status.success(), "{}", text(&output.stderr));
    let trace = text(&output.stderr);
    assert!(trace.contains("ehr call finished"), "{trace}");
    assert!(trace.contains("patients_retrieve"), "{trace}");
    assert!(
        !trace.contains("cli-token") && !trace.contains("Doe 42"),
        "{trace}"
    );
    let quiet = home.run(&["drchrono", "patients", "retrieve", "--id", "42"]);
    assert!(
        quiet.stderr.is_empty(),
        "quiet without --verbose: {}",
        text(&quiet.stderr)
    );
}

#[test]
fn on_a_terminal_a_list_is_a_table_with_a_progress_line_on_stderr() {
    // `script` (util-linux) runs `ehr` with a pseudo-terminal as its stdout and stderr.
    let server = MockServer::start();
    patient_pages(&server, 3, 2);
    let home = Home::new();
    home.login_with_token("drchrono", &server.base_url(), "cli-token");
    let ehr = env!("CARGO_BIN_EXE_ehr");

    let output = Command::new("script")
        .args([
            "-qec",
            &format!("'{ehr}' drchrono patients list --all"),
            "/dev/null",
        ])
        .env("EHR_CONFIG_DIR", home.path())
        .env("COLUMNS", "120")
        .stdin(Stdio::null())
        .output()
        .expect("`script` from util-linux runs");

    assert!(output.status.success(), "{}", text(&output.stdout));
    let screen = text(&output.stdout);
    assert!(
        screen.contains("ID      DOCTOR  FIRST_NAME  LAST_NAME"),
        "{screen}"
    );
    assert!(
        screen.contains("300001  5       Jane        Doe 300001"),
        "{screen}"
    );
    assert!(
        screen.contains("6 records, 3 pages"),
        "the progress line: {screen}"
    );
}

#[test]
fn each_profile_keeps_its_own_credentials_chosen_by_flag_or_environment() {
    let server = MockServer::start();
    let as_default = server.mock(|when, then| {
        when.method(GET)
            .path("/api/patients/1")
            .header("authorization", "Bearer default-token");
        then.status(200).json_body(patient(1));
    });
    let as_work = server.mock(|when, then| {
        when.method(GET)
            .path("/api/patients/1")
            .header("authorization", "Bearer work-token");
        then.status(200).json_body(patient(1));
    });
    let home = Home::new();
    home.login_with_token("drchrono", &server.base_url(), "default-token");
    let login = home
        .ehr(&[
            "--profile",
            "work",
            "auth",
            "login",
            "drchrono",
            "--access-token",
            "--secret-env",
            "T",
            "--base-url",
            &server.base_url(),
        ])
        .env("T", "work-token")
        .output()
        .unwrap();
    assert!(login.status.success());

    let default = home.run(&["drchrono", "patients", "retrieve", "--id", "1"]);
    let by_flag = home.run(&[
        "drchrono",
        "patients",
        "retrieve",
        "--id",
        "1",
        "--profile",
        "work",
    ]);
    let by_env = home
        .ehr(&["drchrono", "patients", "retrieve", "--id", "1"])
        .env("EHR_PROFILE", "work")
        .output()
        .unwrap();
    let unknown = home.run(&[
        "drchrono",
        "patients",
        "retrieve",
        "--id",
        "1",
        "--profile",
        "home",
    ]);

    assert!(default.status.success() && by_flag.status.success() && by_env.status.success());
    assert_eq!((as_default.calls(), as_work.calls()), (1, 2));
    assert_eq!(unknown.status.code(), Some(3));
    assert!(
        text(&unknown.stderr).contains("profile 'home'"),
        "{}",
        text(&unknown.stderr)
    );
}
