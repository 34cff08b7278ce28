//! `ehr <vendor> api METHOD PATH`: a raw call for an endpoint the spec lacks, through the same
//! façade pipeline as every generated call (the profile's auth, acting for a user, retries,
//! same-origin redirects), optionally following the vendor's `next` links.

use std::collections::HashSet;

use clap::{Arg, ArgAction, ArgMatches, Command};
use ehr_runtime::{CallInfo, GeneratedClient};
use serde_json::Value;

use crate::failure::Failure;
use crate::output::Output;

/// The operation id raw calls carry in traces and errors.
const OPERATION_ID: &str = "api";

/// The most pages `--paginate` follows.
const MAX_PAGES: usize = 10_000;

/// `ehr <vendor> api`.
pub fn command() -> Command {
    Command::new("api")
        .about("A raw call through the façade (auth, acting, retries) for endpoints the spec lacks")
        .arg(
            Arg::new("method")
                .required(true)
                .value_parser(["GET", "POST", "PUT", "PATCH", "DELETE"])
                .ignore_case(true),
        )
        .arg(
            Arg::new("path")
                .required(true)
                .help("A path under the vendor's base URL (/api/patients), or a URL of the same origin"),
        )
        .arg(
            Arg::new("field")
                .long("field")
                .short('f')
                .value_name("KEY=VALUE")
                .action(ArgAction::Append)
                .help("A query parameter (GET, DELETE) or a field of the JSON body (POST, PUT, PATCH); a value that is JSON is sent as JSON"),
        )
        .arg(
            Arg::new("input")
                .long("input")
                .value_name("FILE")
                .conflicts_with("field")
                .help("The JSON body, from a file or - for stdin"),
        )
        .arg(
            Arg::new("paginate")
                .long("paginate")
                .action(ArgAction::SetTrue)
                .help("Follow the answer's `next` links (DrChrono, Elation) or Bundle `next` link (FHIR), writing each record as it arrives"),
        )
}

/// The `KEY=VALUE` pairs of `--field`.
fn fields(matches: &ArgMatches) -> Result<Vec<(String, String)>, Failure> {
    matches
        .get_many::<String>("field")
        .into_iter()
        .flatten()
        .map(|field| {
            field
                .split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| Failure::usage(format!("--field {field}: expected KEY=VALUE")))
        })
        .collect()
}

/// Runs `ehr <vendor> api …` with `client`, the façade's generated client of the profile.
pub async fn run<C: GeneratedClient>(
    client: &C,
    vendor: &'static str,
    matches: &ArgMatches,
    out: &mut Output,
) -> Result<(), Failure> {
    let method: reqwest::Method = matches
        .get_one::<String>("method")
        .map(|m| m.to_ascii_uppercase())
        .unwrap_or_default()
        .parse()
        .map_err(|_| Failure::usage("METHOD: GET, POST, PUT, PATCH or DELETE"))?;
    let base = reqwest::Url::parse(client.base_url())
        .map_err(|e| Failure::usage(format!("the profile's base URL: {e}")))?;
    let path = matches
        .get_one::<String>("path")
        .cloned()
        .unwrap_or_default();
    let mut url = if path.starts_with("http://") || path.starts_with("https://") {
        reqwest::Url::parse(&path).map_err(|e| Failure::usage(format!("PATH: {e}")))?
    } else {
        let stem = client.base_url().trim_end_matches('/');
        let path = path.trim_start_matches('/');
        reqwest::Url::parse(&format!("{stem}/{path}"))
            .map_err(|e| Failure::usage(format!("PATH: {e}")))?
    };
    if url.origin() != base.origin() {
        return Err(Failure::usage(format!(
            "{} is not the vendor's origin ({}): credentials are sent to the vendor only",
            url.origin().ascii_serialization(),
            base.origin().ascii_serialization()
        )));
    }
    let fields = fields(matches)?;
    let with_body = !matches!(method, reqwest::Method::GET | reqwest::Method::DELETE);
    let body = match matches.get_one::<String>("input") {
        Some(source) => Some(read_input(source)?),
        None if with_body && !fields.is_empty() => {
            let object: serde_json::Map<String, Value> = fields
                .iter()
                .map(|(k, v)| {
                    let value =
                        serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.clone()));
                    (k.clone(), value)
                })
                .collect();
            Some(Value::Object(object))
        }
        None => None,
    };
    if !with_body {
        url.query_pairs_mut()
            .extend_pairs(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    }
    let call = CallInfo {
        vendor,
        operation_id: OPERATION_ID,
    };
    let paginate = matches.get_flag("paginate");
    let first = send(client, call, method, url.clone(), body).await?;
    if !paginate {
        return match first {
            Answer::Json(value) => out.one(&value),
            Answer::Raw(bytes) => {
                out.raw(&bytes)?;
                out.flush()
            }
        };
    }
    let Answer::Json(mut page) = first else {
        return Err(Failure::Other("--paginate: the answer is not JSON".into()));
    };
    let mut followed = HashSet::from([url.to_string()]);
    out.start_list()?;
    for pages in 1.. {
        let (records, next) = split_page(page);
        for record in &records {
            out.record(record)?;
        }
        out.flush()?;
        let Some(next) = next else { break };
        let next = reqwest::Url::parse(&next)
            .map_err(|e| Failure::Other(format!("`next` is not a URL: {e}")))?;
        if next.origin() != base.origin() {
            return Err(Failure::Other(format!(
                "`next` points to another origin ({}): not followed",
                next.origin().ascii_serialization()
            )));
        }
        if !followed.insert(next.to_string()) || pages >= MAX_PAGES {
            return Err(Failure::Other(format!(
                "`next` cycles or never ends (after {pages} pages): stopped"
            )));
        }
        page = match send(client, call, reqwest::Method::GET, next, None).await? {
            Answer::Json(value) => value,
            Answer::Raw(_) => return Err(Failure::Other("a `next` page is not JSON".into())),
        };
    }
    out.end_list()
}

/// A raw call's answer.
enum Answer {
    Json(Value),
    Raw(Vec<u8>),
}

async fn send<C: GeneratedClient>(
    client: &C,
    call: CallInfo,
    method: reqwest::Method,
    url: reqwest::Url,
    body: Option<Value>,
) -> Result<Answer, Failure> {
    let runtime = client.runtime();
    let mut request = runtime
        .http()
        .request(method, url)
        .header(reqwest::header::ACCEPT, "application/json");
    if let Some(body) = &body {
        request = request.json(body);
    }
    let request = request
        .build()
        .map_err(|e| Failure::usage(format!("cannot build the request: {e}")))?;
    let response = runtime
        .execute(request, call)
        .await
        .map_err(|e| Failure::Api(ehr_sdk::Error::http(OPERATION_ID, e, Vec::new())))?;
    if !response.status().is_success() {
        return Err(Failure::Api(
            ehr_sdk::Error::from_response(OPERATION_ID, response).await,
        ));
    }
    let bytes = response
        .bytes()
        .await
        .map_err(|e| Failure::Api(ehr_sdk::Error::http(OPERATION_ID, e, Vec::new())))?;
    Ok(match serde_json::from_slice(&bytes) {
        Ok(value) => Answer::Json(value),
        Err(_) => Answer::Raw(bytes.to_vec()),
    })
}

/// A page's records and its `next` link: `{results, next}` (DrChrono, Elation), a FHIR Bundle
/// (`entry[].resource`, `link[relation=next].url`), a bare array, or one object.
fn split_page(page: Value) -> (Vec<Value>, Option<String>) {
    match page {
        Value::Array(items) => (items, None),
        Value::Object(mut map) => {
            if let Some(Value::Array(results)) = map.remove("results") {
                let next = map.get("next").and_then(Value::as_str).map(str::to_string);
                return (results, next);
            }
            if map.get("resourceType").and_then(Value::as_str) == Some("Bundle") {
                let next = map
                    .get("link")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .find(|l| l.get("relation").and_then(Value::as_str) == Some("next"))
                    .and_then(|l| l.get("url"))
                    .and_then(Value::as_str)
                    .map(str::to_string);
                let records = match map.remove("entry") {
                    Some(Value::Array(entries)) => entries
                        .into_iter()
                        .map(|mut e| e.get_mut("resource").map(Value::take).unwrap_or(e))
                        .collect(),
                    _ => Vec::new(),
                };
                return (records, next);
            }
            (vec![Value::Object(map)], None)
        }
        other => (vec![other], None),
    }
}

fn read_input(source: &str) -> Result<Value, Failure> {
    let bytes = if source == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
            .map_err(|e| Failure::usage(format!("cannot read stdin: {e}")))?;
        bytes
    } else {
        std::fs::read(source).map_err(|e| Failure::usage(format!("cannot read {source}: {e}")))?
    };
    serde_json::from_slice(&bytes).map_err(|e| Failure::usage(format!("--input is not JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::split_page;
    use serde_json::json;

    #[test]
    fn pages_of_every_vendor_split_into_records_and_next() {
        let drf = json!({"next": "https://x/api/p?page=2", "results": [{"id": 1}]});
        assert_eq!(
            split_page(drf),
            (
                vec![json!({"id": 1})],
                Some("https://x/api/p?page=2".into())
            )
        );
        let bundle = json!({
            "resourceType": "Bundle",
            "link": [{"relation": "self", "url": "a"}, {"relation": "next", "url": "b"}],
            "entry": [{"resource": {"resourceType": "Practitioner", "id": "p1"}}],
        });
        assert_eq!(
            split_page(bundle),
            (
                vec![json!({"resourceType": "Practitioner", "id": "p1"})],
                Some("b".into())
            )
        );
        assert_eq!(split_page(json!({"id": 3})), (vec![json!({"id": 3})], None));
    }
}
