//! Checks run on every spec before progenitor sees it.
//!
//! progenitor 0.15 rejects some spec shapes with an error that names no operation, and panics on
//! others (each check below says which shape and what progenitor does with it). This module
//! finds those shapes first and reports each problem with the spec file and the operation it is
//! in, so that a bad spec fails `cargo xtask codegen` with a message a person can act on.

use std::collections::{BTreeMap, BTreeSet};

use openapiv3::{
    OpenAPI, Operation, Parameter, ParameterSchemaOrContent, ReferenceOr, Response, Schema,
    SchemaKind, StatusCode, Type,
};

use crate::vendors::ListConvention;

/// The media type progenitor 0.15 cannot generate a request body for.
pub const MULTIPART: &str = "multipart/form-data";

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

/// Every problem found in `spec`, each naming the file and the operation. `lists` is the vendor's
/// paging convention, which every operation whose id ends in `_list` must follow.
pub fn check(spec_path: &str, spec: &OpenAPI, lists: Option<ListConvention>) -> Vec<String> {
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
            check_request_body(spec_path, &named, operation, &mut problems);
            check_responses(spec_path, &named, spec, operation, &mut problems);
            if let Some(convention) = lists.filter(|_| id.ends_with("_list")) {
                let params = item.parameters.iter().chain(&operation.parameters);
                check_list(
                    spec_path,
                    &named,
                    spec,
                    params,
                    operation,
                    convention,
                    &mut problems,
                );
            }
        }
    }
    problems
}

fn check_list<'a>(
    spec_path: &str,
    named: &str,
    spec: &OpenAPI,
    params: impl Iterator<Item = &'a ReferenceOr<Parameter>>,
    operation: &Operation,
    convention: ListConvention,
    problems: &mut Vec<String>,
) {
    let names: BTreeSet<&str> = params
        .filter_map(|p| resolve_parameter(spec, p))
        .filter(|p| matches!(p, Parameter::Query { .. }))
        .map(|p| p.parameter_data_ref().name.as_str())
        .collect();
    for wanted in convention.params {
        if !names.contains(wanted) {
            problems.push(format!(
                "{spec_path}: {named}: list operation has no `{wanted}` query parameter"
            ));
        }
    }

    let envelope = operation
        .responses
        .responses
        .get(&StatusCode::Code(200))
        .and_then(|r| resolve_response(spec, r))
        .and_then(|r| r.content.get("application/json"))
        .and_then(|m| m.schema.as_ref())
        .and_then(|s| resolve_schema(spec, s));
    let Some(envelope) = envelope else {
        problems.push(format!(
            "{spec_path}: {named}: list operation has no 200 application/json schema (the page \
             envelope)"
        ));
        return;
    };
    let SchemaKind::Type(Type::Object(object)) = &envelope.schema_kind else {
        problems.push(format!(
            "{spec_path}: {named}: list operation's 200 body is not an object (the page envelope)"
        ));
        return;
    };
    for wanted in convention.envelope {
        let Some(property) = object.properties.get(*wanted) else {
            problems.push(format!(
                "{spec_path}: {named}: list operation's page envelope has no `{wanted}`"
            ));
            continue;
        };
        let is_array = match property {
            ReferenceOr::Item(schema) => {
                matches!(schema.schema_kind, SchemaKind::Type(Type::Array(_)))
            }
            ReferenceOr::Reference { .. } => false,
        };
        if *wanted == "results" && !is_array {
            problems.push(format!(
                "{spec_path}: {named}: list operation's `results` is not an array"
            ));
        }
    }
}

fn resolve_parameter<'a>(
    spec: &'a OpenAPI,
    parameter: &'a ReferenceOr<Parameter>,
) -> Option<&'a Parameter> {
    match parameter {
        ReferenceOr::Item(parameter) => Some(parameter),
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/parameters/")?;
            spec.components.as_ref()?.parameters.get(name)?.as_item()
        }
    }
}

fn resolve_schema<'a>(spec: &'a OpenAPI, schema: &'a ReferenceOr<Schema>) -> Option<&'a Schema> {
    match schema {
        ReferenceOr::Item(schema) => Some(schema),
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/schemas/")?;
            spec.components.as_ref()?.schemas.get(name)?.as_item()
        }
    }
}

fn check_parameters(
    spec_path: &str,
    named: &str,
    spec: &OpenAPI,
    parameters: &[ReferenceOr<Parameter>],
    problems: &mut Vec<String>,
) {
    for parameter in parameters {
        let Some(parameter) = resolve_parameter(spec, parameter) else {
            problems.push(format!(
                "{spec_path}: {named}: a parameter $ref does not resolve"
            ));
            continue;
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
    operation: &Operation,
    problems: &mut Vec<String>,
) {
    let Some(body) = &operation.request_body else {
        return;
    };
    let body = match body {
        ReferenceOr::Item(body) => body,
        ReferenceOr::Reference { reference } => {
            problems.push(format!(
                "{spec_path}: {named}: request body `{reference}` is a $ref; write request bodies \
                 inline"
            ));
            return;
        }
    };
    // multipart/form-data is taken out before generation (see `codegen::split_multipart`);
    // what is left must be a single media type.
    let types: Vec<&str> = body
        .content
        .keys()
        .map(String::as_str)
        .filter(|t| *t != MULTIPART)
        .collect();
    if types.len() > 1 {
        problems.push(format!(
            "{spec_path}: {named}: request body has {} media types besides multipart ({}); \
             progenitor takes one",
            types.len(),
            types.join(", ")
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
        if matches!(code, None | Some(StatusCode::Range(5))) {
            problems.push(format!(
                "{spec_path}: {named}: response {label} would also match the status 599 the \
                 runtime carries its errors in (ehr_runtime::error::carry): declare each \
                 documented status explicitly"
            ));
            continue;
        }
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
