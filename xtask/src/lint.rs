//! Checks run on every spec before progenitor sees it.
//!
//! progenitor 0.15 rejects some spec shapes with an error that names no operation, and panics on
//! others (see `../shared/notes/progenitor-0.15.md`). This module finds those shapes first and
//! reports each problem with the spec file and the operation it is in, so that a bad spec fails
//! `cargo xtask codegen` with a message a person can act on.

use std::collections::{BTreeMap, BTreeSet};

use openapiv3::{
    OpenAPI, Operation, Parameter, ParameterSchemaOrContent, ReferenceOr, Response, SchemaKind,
    StatusCode, Type,
};

/// Parses a spec from YAML, naming the file (and the line, where YAML gives one) on failure.
pub fn parse(spec_path: &str, text: &str) -> Result<OpenAPI, String> {
    let spec: OpenAPI = serde_yaml::from_str(text)
        .map_err(|e| format!("{spec_path}: not a valid OpenAPI 3.0 document: {e}"))?;
    if !spec.openapi.starts_with("3.0.") {
        return Err(format!(
            "{spec_path}: `openapi: {}` is not supported; progenitor reads OpenAPI 3.0.x",
            spec.openapi
        ));
    }
    Ok(spec)
}

/// Every problem found in `spec`, each naming the file and the operation.
pub fn check(spec_path: &str, spec: &OpenAPI) -> Vec<String> {
    let mut problems = Vec::new();
    // operationId -> where it was first seen
    let mut seen: BTreeMap<&str, String> = BTreeMap::new();

    for (path, item) in &spec.paths.paths {
        let ReferenceOr::Item(item) = item else {
            problems.push(format!(
                "{spec_path}: path `{path}` is a $ref; write path items inline"
            ));
            continue;
        };
        for (method, operation) in item.iter() {
            let at = format!("{} {path}", method.to_uppercase());
            let Some(id) = operation.operation_id.as_deref() else {
                problems.push(format!("{spec_path}: operation `{at}` has no operationId"));
                continue;
            };
            let named = format!("operation `{id}` ({at})");
            if let Some(first) = seen.get(id) {
                problems.push(format!(
                    "{spec_path}: duplicate operationId `{id}`: used by {first} and by {at}"
                ));
            } else {
                seen.insert(id, at.clone());
            }
            if operation.tags.is_empty() {
                problems.push(format!("{spec_path}: {named} has no tag"));
            }
            check_parameters(spec_path, &named, spec, &item.parameters, &mut problems);
            check_parameters(
                spec_path,
                &named,
                spec,
                &operation.parameters,
                &mut problems,
            );
            check_request_body(spec_path, &named, spec, operation, &mut problems);
            check_responses(spec_path, &named, spec, operation, &mut problems);
        }
    }
    problems
}

fn check_parameters(
    spec_path: &str,
    named: &str,
    spec: &OpenAPI,
    parameters: &[ReferenceOr<Parameter>],
    problems: &mut Vec<String>,
) {
    for parameter in parameters {
        let parameter = match parameter {
            ReferenceOr::Item(parameter) => parameter,
            ReferenceOr::Reference { reference } => {
                let found = reference
                    .strip_prefix("#/components/parameters/")
                    .and_then(|name| spec.components.as_ref()?.parameters.get(name));
                match found {
                    Some(ReferenceOr::Item(parameter)) => parameter,
                    _ => {
                        problems.push(format!(
                            "{spec_path}: {named}: parameter `{reference}` does not resolve"
                        ));
                        continue;
                    }
                }
            }
        };
        let Parameter::Query { parameter_data, .. } = parameter else {
            continue;
        };
        let is_array = match &parameter_data.format {
            ParameterSchemaOrContent::Schema(ReferenceOr::Item(schema)) => {
                matches!(schema.schema_kind, SchemaKind::Type(Type::Array(_)))
            }
            _ => false,
        };
        if is_array {
            problems.push(format!(
                "{spec_path}: {named}: query parameter `{}` is an array; progenitor's httpmock \
                 helpers do not compile for array query parameters (declare a comma-separated \
                 string and say so in its description)",
                parameter_data.name
            ));
        }
    }
}

fn check_request_body(
    spec_path: &str,
    named: &str,
    spec: &OpenAPI,
    operation: &Operation,
    problems: &mut Vec<String>,
) {
    let Some(body) = &operation.request_body else {
        return;
    };
    let body = match body {
        ReferenceOr::Item(body) => body,
        ReferenceOr::Reference { reference } => {
            let name = reference.trim_start_matches("#/components/requestBodies/");
            match spec
                .components
                .as_ref()
                .and_then(|c| c.request_bodies.get(name))
            {
                Some(ReferenceOr::Item(body)) => body,
                _ => {
                    problems.push(format!(
                        "{spec_path}: {named}: request body `{reference}` does not resolve"
                    ));
                    return;
                }
            }
        }
    };
    if body.content.len() > 1 {
        let types: Vec<&str> = body.content.keys().map(String::as_str).collect();
        problems.push(format!(
            "{spec_path}: {named}: request body has {} media types ({}); progenitor takes one",
            types.len(),
            types.join(", ")
        ));
    }
    if body.content.contains_key("multipart/form-data") {
        problems.push(format!(
            "{spec_path}: {named}: multipart/form-data request bodies make progenitor reject the \
             whole spec"
        ));
    }
}

fn check_responses(
    spec_path: &str,
    named: &str,
    spec: &OpenAPI,
    operation: &Operation,
    problems: &mut Vec<String>,
) {
    // Body shape (the response's `content`, serialised) -> statuses that use it.
    let mut success: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut failure: BTreeMap<String, Vec<String>> = BTreeMap::new();

    let statuses = operation
        .responses
        .responses
        .iter()
        .map(|(code, r)| (Some(code), r))
        .chain(operation.responses.default.iter().map(|r| (None, r)));
    for (code, response) in statuses {
        let label = code.map_or_else(|| "default".to_string(), ToString::to_string);
        let Some(response) = resolve_response(spec, response) else {
            problems.push(format!(
                "{spec_path}: {named}: response {label} is a $ref that does not resolve"
            ));
            continue;
        };
        let shape = if response.content.is_empty() {
            "no body".to_string()
        } else {
            serde_json::to_string(&response.content).unwrap_or_default()
        };
        let group = match code {
            Some(StatusCode::Code(n)) if (200..300).contains(n) => &mut success,
            Some(StatusCode::Range(2)) => &mut success,
            Some(StatusCode::Code(n)) if *n >= 400 => &mut failure,
            Some(StatusCode::Range(4 | 5)) | None => &mut failure,
            Some(_) => continue,
        };
        group.entry(shape).or_default().push(label);
    }
    if success.len() > 1 {
        problems.push(format!(
            "{spec_path}: {named}: success responses have {} different bodies ({}); progenitor \
             panics unless every 2xx of an operation has the same body (or none)",
            success.len(),
            describe(&success)
        ));
    }
    if failure.len() > 1 {
        problems.push(format!(
            "{spec_path}: {named}: error responses have {} different bodies ({}); progenitor \
             panics unless every 4xx/5xx of an operation shares one schema (or none has a body)",
            failure.len(),
            describe(&failure)
        ));
    }
}

fn resolve_response<'a>(
    spec: &'a OpenAPI,
    response: &'a ReferenceOr<Response>,
) -> Option<&'a Response> {
    match response {
        ReferenceOr::Item(response) => Some(response),
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/responses/")?;
            match spec.components.as_ref()?.responses.get(name)? {
                ReferenceOr::Item(response) => Some(response),
                ReferenceOr::Reference { .. } => None,
            }
        }
    }
}

fn describe(groups: &BTreeMap<String, Vec<String>>) -> String {
    let statuses: BTreeSet<String> = groups.values().map(|codes| codes.join("/")).collect();
    statuses.into_iter().collect::<Vec<_>>().join(" vs ")
}
