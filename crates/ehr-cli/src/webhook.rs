//! `ehr webhook listen|verify`: a vendor's webhook deliveries checked with the SDK's verifiers,
//! on a local listener or from saved files, each verified delivery printed as one JSON line.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{Method, StatusCode, request::Parts};
use axum::response::{IntoResponse, Response};
use clap::{Arg, ArgMatches, Command};
use ehr_sdk::webhooks::{
    MemorySeenDeliveries, SeenDeliveries, Verify, WebhookError, WebhookVerifier,
};
use serde_json::{Value, json};

use crate::failure::Failure;

/// The vendors that send webhooks, among those built in.
const VENDORS: &[&str] = &[
    #[cfg(feature = "drchrono")]
    "drchrono",
    #[cfg(feature = "elation")]
    "elation",
];

/// `ehr webhook`.
pub fn command() -> Command {
    let vendor = Arg::new("vendor")
        .required(true)
        .value_parser(clap::builder::PossibleValuesParser::new(VENDORS));
    let secret = Arg::new("secret-env")
        .long("secret-env")
        .value_name("VAR")
        .required(true)
        .help("The environment variable holding the webhook's secret token (drchrono) or its signing public key (elation)");
    Command::new("webhook")
        .about("Receive or check a vendor's webhook deliveries, verified with the SDK")
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(
            Command::new("listen")
                .about("Listen on 127.0.0.1, answer DrChrono's handshake, verify each delivery and print it as a JSON line")
                .arg(vendor.clone())
                .arg(
                    Arg::new("port")
                        .long("port")
                        .value_name("PORT")
                        .value_parser(clap::value_parser!(u16))
                        .default_value("8080")
                        .help("The port on 127.0.0.1 (0: any free port, printed on stderr)"),
                )
                .arg(secret.clone()),
        )
        .subcommand(
            Command::new("verify")
                .about("Verify one saved delivery: its headers (`Name: value` lines, as `curl -D` writes them) and its body")
                .arg(vendor)
                .arg(
                    Arg::new("headers")
                        .long("headers")
                        .value_name("FILE")
                        .required(true),
                )
                .arg(Arg::new("body").long("body").value_name("FILE").required(true))
                .arg(secret),
        )
}

/// Runs `ehr webhook …`.
pub async fn run(matches: &ArgMatches) -> Result<(), Failure> {
    let (action, m) = matches
        .subcommand()
        .ok_or_else(|| Failure::usage("`ehr webhook listen|verify`"))?;
    let vendor = m.get_one::<String>("vendor").cloned().unwrap_or_default();
    let var = m
        .get_one::<String>("secret-env")
        .cloned()
        .unwrap_or_default();
    let secret = std::env::var(&var)
        .map_err(|_| Failure::usage(format!("the environment variable {var} is not set")))?;
    match (vendor.as_str(), action) {
        #[cfg(feature = "drchrono")]
        ("drchrono", "listen") => {
            let verifier = ehr_sdk::drchrono::WebhookVerifier::new(secret);
            listen(m, verifier, drchrono_json, true).await
        }
        #[cfg(feature = "drchrono")]
        ("drchrono", "verify") => verify(
            m,
            ehr_sdk::drchrono::WebhookVerifier::new(secret),
            drchrono_json,
        ),
        #[cfg(feature = "elation")]
        ("elation", "listen") => listen(m, elation_verifier(&secret)?, elation_json, false).await,
        #[cfg(feature = "elation")]
        ("elation", "verify") => verify(m, elation_verifier(&secret)?, elation_json),
        _ => Err(Failure::usage(format!("no webhooks for `{vendor}`"))),
    }
}

#[cfg(feature = "elation")]
fn elation_verifier(key: &str) -> Result<ehr_sdk::elation::WebhookVerifier, Failure> {
    ehr_sdk::elation::WebhookVerifier::new(key.trim())
        .map_err(|e| Failure::usage(format!("the signing key: {e}")))
}

/// A DrChrono delivery as printed: its event, id and object (typed by the event, then as JSON).
#[cfg(feature = "drchrono")]
fn drchrono_json(delivery: &ehr_sdk::drchrono::Delivery) -> Value {
    use ehr_sdk::drchrono::EventObject;
    let object = match &delivery.object {
        EventObject::Appointment(o) => serde_json::to_value(o),
        EventObject::Patient(o) => serde_json::to_value(o),
        EventObject::Problem(o) => serde_json::to_value(o),
        EventObject::Allergy(o) => serde_json::to_value(o),
        EventObject::Medication(o) => serde_json::to_value(o),
        EventObject::ClinicalNote(o) => serde_json::to_value(o),
        EventObject::Other(v) => Ok(v.clone()),
        _ => Ok(Value::Null),
    }
    .unwrap_or(Value::Null);
    json!({"event": delivery.event.as_str(), "id": delivery.id.as_str(), "object": object})
}

/// An Elation delivery as printed.
#[cfg(feature = "elation")]
fn elation_json(event: &ehr_sdk::elation::WebhookEvent) -> Value {
    use ehr_sdk::elation::Action;
    let action = match &event.action {
        Action::Saved => "saved".to_string(),
        Action::Deleted => "deleted".to_string(),
        Action::Other(other) => other.clone(),
        _ => "other".to_string(),
    };
    json!({
        "action": action,
        "resource": event.resource,
        "resource_url": event.resource_url,
        "event_id": event.event_id,
        "event_uuid": event.event_uuid,
        "application_id": event.application_id,
        "data": event.data,
    })
}

/// Writes one line on standard output (a closed output is ignored: the listener goes on).
fn print_line(value: &Value) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{value}");
    let _ = out.flush();
}

/// What the listener needs for each request.
struct Listener<S: Verify> {
    verifier: WebhookVerifier<S>,
    seen: MemorySeenDeliveries,
    show: fn(&S::Delivery) -> Value,
    handshake: bool,
}

async fn listen<S>(
    matches: &ArgMatches,
    verifier: WebhookVerifier<S>,
    show: fn(&S::Delivery) -> Value,
    handshake: bool,
) -> Result<(), Failure>
where
    S: Verify + HandshakeScheme,
{
    let port = matches.get_one::<u16>("port").copied().unwrap_or(8080);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| Failure::Other(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
    let address = listener
        .local_addr()
        .map_err(|e| Failure::Other(format!("cannot listen: {e}")))?;
    say!("listening on http://{address}/ (every path; Ctrl-C to stop)");
    let state = Arc::new(Listener {
        verifier,
        seen: MemorySeenDeliveries::with_capacity(10_000),
        show,
        handshake,
    });
    let app = axum::Router::new().fallback(move |request: Request| {
        let state = state.clone();
        async move { receive(&state, request).await }
    });
    axum::serve(listener, app)
        .await
        .map_err(|e| Failure::Other(format!("the listener failed: {e}")))
}

/// A vendor's verification handshake, for the schemes that have one.
trait HandshakeScheme {
    /// The answer to a handshake request, as JSON.
    fn answer(verifier: &WebhookVerifier<Self>, request: &Parts) -> Result<Value, WebhookError>
    where
        Self: Sized;
}

#[cfg(feature = "drchrono")]
impl HandshakeScheme for ehr_sdk::drchrono::WebhookSecret {
    fn answer(verifier: &WebhookVerifier<Self>, request: &Parts) -> Result<Value, WebhookError> {
        let answer = verifier.handshake(request)?;
        Ok(serde_json::to_value(answer).unwrap_or(Value::Null))
    }
}

#[cfg(feature = "elation")]
impl HandshakeScheme for ehr_sdk::elation::SigningKey {
    fn answer(_: &WebhookVerifier<Self>, _: &Parts) -> Result<Value, WebhookError> {
        Ok(Value::Null)
    }
}

async fn receive<S: Verify + HandshakeScheme>(state: &Listener<S>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if parts.method == Method::GET && state.handshake {
        return match S::answer(&state.verifier, &parts) {
            Ok(answer) => {
                say!("handshake answered");
                let json_type = [(axum::http::header::CONTENT_TYPE, "application/json")];
                (json_type, answer.to_string()).into_response()
            }
            Err(refusal) => {
                say!("handshake refused: {refusal}");
                refusal.status().into_response()
            }
        };
    }
    let body: Bytes = match axum::body::to_bytes(body, state.verifier.body_limit()).await {
        Ok(body) => body,
        Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
    };
    match state.verifier.verify(&parts, &body) {
        Ok(delivery) => {
            if let Some(id) = S::delivery_id(&delivery)
                && !state.seen.first_time(id).await.unwrap_or(true)
            {
                say!("redelivery of {id}: already printed");
                return StatusCode::OK.into_response();
            }
            print_line(&(state.show)(&delivery));
            StatusCode::OK.into_response()
        }
        Err(refusal) => {
            say!(
                "delivery refused ({}): {refusal}",
                refusal.status().as_u16()
            );
            refusal.status().into_response()
        }
    }
}

/// `ehr webhook verify`: the saved delivery verified, printed, or refused (exit 5).
fn verify<S: Verify>(
    matches: &ArgMatches,
    verifier: WebhookVerifier<S>,
    show: fn(&S::Delivery) -> Value,
) -> Result<(), Failure> {
    let read = |flag: &str| -> Result<Vec<u8>, Failure> {
        let path = matches.get_one::<String>(flag).cloned().unwrap_or_default();
        std::fs::read(&path).map_err(|e| Failure::usage(format!("cannot read {path}: {e}")))
    };
    let headers = String::from_utf8_lossy(&read("headers")?).into_owned();
    let body = read("body")?;
    let mut request = axum::http::Request::builder().method(Method::POST).uri("/");
    for line in headers.lines() {
        let line = line.trim_end_matches('\r');
        // The request or status line, and blank lines, are not headers.
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if name.contains(' ') {
            continue;
        }
        request = request.header(name.trim(), value.trim());
    }
    let (parts, ()) = request
        .body(())
        .map_err(|e| Failure::usage(format!("the headers file: {e}")))?
        .into_parts();
    match verifier.verify(&parts, &body) {
        Ok(delivery) => {
            print_line(&show(&delivery));
            Ok(())
        }
        Err(refusal) => Err(Failure::Refused(format!(
            "the delivery does not verify: {refusal}"
        ))),
    }
}
