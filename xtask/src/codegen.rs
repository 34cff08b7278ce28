//! Spec → formatted Rust, with progenitor used as a library.
//!
//! One generated file per vendor crate holds the client (builder interface, every call routed
//! through `ehr_runtime::Runtime` by `ClientHooks`, which the crate must implement) and, behind the
//! crate's `mock` feature, progenitor's typed httpmock helpers. The text is printed by
//! `prettyplease`, so the same spec always gives byte-identical output; each crate declares the
//! module `#[rustfmt::skip]`, so `cargo fmt` leaves it as printed (running rustfmt over the
//! ~300k generated lines took half of codegen's time and changed nothing but layout).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::{Duration, Instant};

use progenitor::{CrateVers, GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle};
use quote::{ToTokens, quote};
use syn::visit_mut::VisitMut;

use crate::lint;
use crate::vendors::Vendor;

/// A vendor's generated file and where the time to make it went.
pub struct Generated {
    /// The complete text of `generated.rs`.
    pub code: String,
    /// Each phase, in order, with its wall time.
    pub phases: Vec<(&'static str, Duration)>,
    /// What the rewrites of progenitor's `send()` bodies changed (`None` when the file was
    /// reused from the cache).
    pub rewrites: Option<Rewrites>,
}

/// Times the phases of one generation.
struct Phases {
    last: Instant,
    done: Vec<(&'static str, Duration)>,
}

impl Phases {
    fn start() -> Self {
        Self {
            last: Instant::now(),
            done: Vec::new(),
        }
    }

    fn end(&mut self, phase: &'static str) {
        let now = Instant::now();
        self.done.push((phase, now - self.last));
        self.last = now;
    }
}

/// Generates the complete text of `vendor`'s `generated.rs`, or says why it could not.
pub fn generate(root: &Path, vendor: Vendor) -> Result<Generated, String> {
    let mut phases = Phases::start();
    let spec_path = vendor.spec_path();
    let text = std::fs::read_to_string(root.join(&spec_path))
        .map_err(|e| format!("{spec_path}: cannot read: {e}"))?;
    let mut spec = lint::parse(&spec_path, &text)?;
    phases.end("read and parse the spec");
    let problems = lint::check(&spec_path, &spec, vendor.list_convention());
    if !problems.is_empty() {
        return Err(problems.join("\nerror: "));
    }
    phases.end("lint");
    let operations = operation_rows(&spec);
    let multipart = split_multipart(&mut spec);
    let facade_headers = drop_facade_headers(&mut spec);
    let multipart_rows = multipart.iter().map(|op| {
        let (id, method, path, json) = (&op.operation_id, &op.method, &op.path, op.json_too);
        quote! { MultipartOperation { operation_id: #id, method: #method, path: #path, json_too: #json } }
    });

    // The client and the mocks are generated, parsed and printed on two threads (each a pure
    // function of the spec; the mock module is the file's last item, and prettyplease prints
    // top-level items independently, so the two texts concatenate). progenitor panics on some
    // shapes the lint does not know of yet; those are reported as errors naming the spec rather
    // than dying with a backtrace.
    let (client, mock) = std::thread::scope(|scope| {
        let mock = scope.spawn(|| mock_module(&spec));
        let client = generate_file(|| Generator::new(&settings()).generate_tokens(&spec));
        let mock = mock
            .join()
            .unwrap_or_else(|_| Err("mock generation panicked".to_string()));
        (client, mock)
    });
    let mut file = client.map_err(|e| format!("{spec_path}: {e}"))?;
    let mock = mock.map_err(|e| format!("{spec_path}: {e}"))?;
    phases.end("progenitor and parse (client ∥ mocks, mocks printed)");

    let extra: syn::File = syn::parse_quote! {
        /// An operation of the spec whose request body can be `multipart/form-data`, which
        /// progenitor cannot generate: the `ehr-sdk` façade sends it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct MultipartOperation {
            /// The `operationId` in the spec.
            pub operation_id: &'static str,
            /// The HTTP method.
            pub method: &'static str,
            /// The path template.
            pub path: &'static str,
            /// Whether the operation also takes a JSON body (then the generated method
            /// exists and sends JSON; only the multipart form is left to the façade).
            pub json_too: bool,
        }

        /// Every operation of the spec that takes `multipart/form-data`.
        pub const MULTIPART_OPERATIONS: &[MultipartOperation] = &[#(#multipart_rows),*];

        /// Every operation of the spec (those sent as `multipart/form-data` by the façade
        /// included), sorted by `operationId`.
        pub const OPERATIONS: &[::ehr_runtime::Operation] = &[#(#operations),*];

        /// The operation whose `operationId` is `operation_id`, if the spec has one.
        pub fn operation(operation_id: &str) -> Option<&'static ::ehr_runtime::Operation> {
            OPERATIONS
                .binary_search_by(|op| op.operation_id.cmp(operation_id))
                .ok()
                .map(|i| &OPERATIONS[i])
        }

        /// The header parameters the spec marks `x-ehr-set-by-facade`: the `ehr-sdk` façade
        /// sets them from a typed value, so the builders here have no setter for them.
        pub const FACADE_HEADERS: &[&str] = &[#(#facade_headers),*];
    };
    file.items.extend(extra.items);

    let rewrites = return_runtime_errors(&mut file).map_err(|e| format!("{spec_path}: {e}"))?;
    let paged: Vec<ListOp> = list_operations(&spec)
        .into_iter()
        .chain(search_operations(&spec))
        .collect();
    if !paged.is_empty() {
        add_paging(&mut file, &paged).map_err(|e| format!("{spec_path}: {e}"))?;
        entries_by_resource_type(&mut file, &paged).map_err(|e| format!("{spec_path}: {e}"))?;
    }
    tolerant_fields(&mut file, vendor.blank_strings_are_absent())
        .map_err(|e| format!("{spec_path}: {e}"))?;
    keep_request_body_builders(&mut file).map_err(|e| format!("{spec_path}: {e}"))?;
    LineDocs.visit_file_mut(&mut file);
    phases.end("rewrite (errors, paging, tolerant fields, docs)");
    let code = format!("{}{}{mock}", header(vendor), prettyplease::unparse(&file));
    phases.end("print (prettyplease)");
    Ok(Generated {
        code,
        phases: phases.done,
        rewrites: Some(rewrites),
    })
}

/// Every operation of `spec` as a row of the generated `OPERATIONS` table, sorted by
/// `operationId` (so the generated `operation` finds one by binary search).
fn operation_rows(spec: &openapiv3::OpenAPI) -> Vec<proc_macro2::TokenStream> {
    let mut rows: Vec<(String, &'static str, String)> = Vec::new();
    for (path, item) in &spec.paths.paths {
        let openapiv3::ReferenceOr::Item(item) = item else {
            continue;
        };
        for (method, operation) in item.iter() {
            if let Some(id) = &operation.operation_id {
                let method = match method {
                    "get" => "GET",
                    "put" => "PUT",
                    "post" => "POST",
                    "delete" => "DELETE",
                    "options" => "OPTIONS",
                    "head" => "HEAD",
                    "patch" => "PATCH",
                    _ => "TRACE",
                };
                rows.push((id.clone(), method, path.clone()));
            }
        }
    }
    rows.sort();
    rows.into_iter()
        .map(|(id, method, path)| {
            quote! { ::ehr_runtime::Operation { operation_id: #id, method: #method, path: #path } }
        })
        .collect()
}

/// Takes the header parameters the spec marks `x-ehr-set-by-facade: true` out of every
/// operation before generation (they stay in the spec, documented, for every other reader):
/// the façade sets each from a typed value (Empego's `x-integration-user`, from an
/// `IntegrationUser` it checks), and a generated per-call setter taking any string would
/// bypass those checks. Returns their wire names, which the generated file lists in
/// `FACADE_HEADERS`.
fn drop_facade_headers(spec: &mut openapiv3::OpenAPI) -> Vec<String> {
    use openapiv3::{Parameter, ReferenceOr};

    let marked = |data: &openapiv3::ParameterData| {
        data.extensions
            .get("x-ehr-set-by-facade")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false)
    };
    let components = spec.components.clone().unwrap_or_default();
    let facade_header = |p: &ReferenceOr<Parameter>| -> Option<String> {
        let parameter = match p {
            ReferenceOr::Item(p) => p,
            ReferenceOr::Reference { reference } => {
                let name = reference.strip_prefix("#/components/parameters/")?;
                components.parameters.get(name)?.as_item()?
            }
        };
        match parameter {
            Parameter::Header { parameter_data, .. } if marked(parameter_data) => {
                Some(parameter_data.name.to_ascii_lowercase())
            }
            _ => None,
        }
    };
    let mut names = Vec::new();
    let mut keep = |parameters: &mut Vec<ReferenceOr<Parameter>>| {
        parameters.retain(|p| match facade_header(p) {
            Some(name) => {
                if !names.contains(&name) {
                    names.push(name);
                }
                false
            }
            None => true,
        });
    };
    for item in spec.paths.paths.values_mut() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        keep(&mut item.parameters);
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
        {
            keep(&mut operation.parameters);
        }
    }
    names.sort();
    names
}

/// An operation whose `multipart/form-data` body was taken out of the spec before generation.
struct MultipartOp {
    operation_id: String,
    method: String,
    path: String,
    json_too: bool,
}

/// Removes every `multipart/form-data` request body (progenitor 0.15 rejects the whole spec on
/// one), and every operation left without a body it can generate, and says what was removed.
fn split_multipart(spec: &mut openapiv3::OpenAPI) -> Vec<MultipartOp> {
    use openapiv3::ReferenceOr;

    let mut removed = Vec::new();
    for (path, item) in spec.paths.paths.iter_mut() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        let slots = [
            ("GET", &mut item.get),
            ("PUT", &mut item.put),
            ("POST", &mut item.post),
            ("DELETE", &mut item.delete),
            ("OPTIONS", &mut item.options),
            ("HEAD", &mut item.head),
            ("PATCH", &mut item.patch),
            ("TRACE", &mut item.trace),
        ];
        for (method, slot) in slots {
            let Some(operation) = slot else { continue };
            let Some(ReferenceOr::Item(body)) = &mut operation.request_body else {
                continue;
            };
            if body.content.shift_remove(lint::MULTIPART).is_none() {
                continue;
            }
            let json_too = !body.content.is_empty();
            removed.push(MultipartOp {
                operation_id: operation.operation_id.clone().unwrap_or_default(),
                method: method.to_string(),
                path: path.clone(),
                json_too,
            });
            if !json_too {
                *slot = None;
            }
        }
    }
    removed
}

/// A list operation: its builder, its page envelope and the envelope's item type.
struct ListOp {
    operation_id: String,
    builder: String,
    page: String,
    item: String,
    /// Its header parameters: (name on the wire, builder field). A value set on the first
    /// page's request (a per-call `X-On-Behalf-Of`) is sent with every `next` page too.
    headers: Vec<(String, String)>,
    /// How the page holds its items and its `next` link.
    shape: PageShape,
}

/// The page conventions the façade streams.
enum PageShape {
    /// `{next, results: [item]}` (DrChrono, Elation).
    Envelope,
    /// A FHIR Bundle: `link[relation = next].url`, `entry[].resource` as `wrapper`, a `oneOf`
    /// whose first variant is the searched resource type `item` (Health Gorilla searches).
    Bundle { wrapper: String },
}

/// The header parameters of `operation` and its path item, as (wire name, builder field).
fn header_params(
    spec: &openapiv3::OpenAPI,
    item: &openapiv3::PathItem,
    operation: &openapiv3::Operation,
) -> Vec<(String, String)> {
    use openapiv3::{Parameter, ReferenceOr};
    item.parameters
        .iter()
        .chain(&operation.parameters)
        .filter_map(|p| match p {
            ReferenceOr::Item(p) => Some(p),
            ReferenceOr::Reference { reference } => {
                let name = reference.strip_prefix("#/components/parameters/")?;
                spec.components.as_ref()?.parameters.get(name)?.as_item()
            }
        })
        .filter_map(|p| match p {
            Parameter::Header { parameter_data, .. } => {
                // Lowercase: header names are case-insensitive, and `HeaderName::from_static`
                // takes only lowercase.
                let name = parameter_data.name.to_ascii_lowercase();
                let field = name.replace('-', "_");
                Some((name, field))
            }
            _ => None,
        })
        .collect()
}

/// Every `*_list` operation whose 200 body is a `$ref` to an envelope whose `results` are a
/// `$ref` (the lint has checked the envelope's shape).
fn list_operations(spec: &openapiv3::OpenAPI) -> Vec<ListOp> {
    use openapiv3::{ReferenceOr, SchemaKind, StatusCode, Type};

    let schema_name = |r: &ReferenceOr<openapiv3::Schema>| match r {
        ReferenceOr::Reference { reference } => reference
            .strip_prefix("#/components/schemas/")
            .map(str::to_string),
        _ => None,
    };
    let mut ops = Vec::new();
    for (_, item) in spec.paths.iter() {
        let Some(item) = item.as_item() else { continue };
        let item_ref = item;
        let Some(get) = &item.get else { continue };
        let Some(id) = get
            .operation_id
            .as_deref()
            .filter(|id| id.ends_with("_list"))
        else {
            continue;
        };
        let page = get
            .responses
            .responses
            .get(&StatusCode::Code(200))
            .and_then(|r| r.as_item())
            .and_then(|r| r.content.get("application/json"))
            .and_then(|m| m.schema.as_ref())
            .and_then(schema_name);
        let Some(page) = page else { continue };
        let item = spec
            .components
            .as_ref()
            .and_then(|c| c.schemas.get(&page))
            .and_then(|s| s.as_item())
            .and_then(|s| match &s.schema_kind {
                SchemaKind::Type(Type::Object(o)) => o.properties.get("results").cloned(),
                _ => None,
            })
            .and_then(|results| match results {
                ReferenceOr::Item(schema) => match schema.schema_kind {
                    SchemaKind::Type(Type::Array(array)) => array.items.map(|i| i.unbox()),
                    _ => None,
                },
                _ => None,
            })
            .and_then(|i| schema_name(&i));
        let Some(item) = item else { continue };
        ops.push(ListOp {
            operation_id: id.to_string(),
            builder: pascal(id),
            page,
            item,
            headers: header_params(spec, item_ref, get),
            shape: PageShape::Envelope,
        });
    }
    ops
}

/// Every `*_search` operation whose 200 body is a `$ref` to a FHIR Bundle whose
/// `entry[].resource` is a `$ref` to a `oneOf` of the searched resource type and other
/// resources: it pages by the Bundle's `next` link and yields the entries of that type.
fn search_operations(spec: &openapiv3::OpenAPI) -> Vec<ListOp> {
    use openapiv3::{ReferenceOr, SchemaKind, StatusCode, Type};

    let schemas = spec.components.as_ref().map(|c| &c.schemas);
    let named = |name: &str| schemas.and_then(|s| s.get(name)).and_then(|s| s.as_item());
    let ref_name = |r: &ReferenceOr<openapiv3::Schema>| match r {
        ReferenceOr::Reference { reference } => reference
            .strip_prefix("#/components/schemas/")
            .map(str::to_string),
        _ => None,
    };
    let property = |schema: &openapiv3::Schema, name: &str| match &schema.schema_kind {
        SchemaKind::Type(Type::Object(o)) => o.properties.get(name).cloned(),
        _ => None,
    };
    let mut ops = Vec::new();
    for (_, item) in spec.paths.iter() {
        let Some(item) = item.as_item() else { continue };
        let Some(get) = &item.get else { continue };
        let Some(id) = get
            .operation_id
            .as_deref()
            .filter(|id| id.ends_with("_search"))
        else {
            continue;
        };
        let page = get
            .responses
            .responses
            .get(&StatusCode::Code(200))
            .and_then(|r| r.as_item())
            .and_then(|r| r.content.get("application/json"))
            .and_then(|m| m.schema.as_ref())
            .and_then(ref_name);
        let Some(page) = page else { continue };
        let entry = named(&page)
            .and_then(|bundle| property(bundle, "entry"))
            .and_then(|entry| match entry {
                ReferenceOr::Item(schema) => match schema.schema_kind {
                    SchemaKind::Type(Type::Array(array)) => array.items.map(|i| i.unbox()),
                    _ => None,
                },
                _ => None,
            })
            .and_then(|e| ref_name(&e));
        let wrapper = entry
            .as_deref()
            .and_then(named)
            .and_then(|entry| property(entry, "resource"))
            .and_then(|r| ref_name(&r.unbox()));
        let item_type = wrapper
            .as_deref()
            .and_then(named)
            .and_then(|w| match &w.schema_kind {
                SchemaKind::OneOf { one_of } => one_of.first().and_then(ref_name),
                _ => None,
            });
        let (Some(wrapper), Some(item_type)) = (wrapper, item_type) else {
            continue;
        };
        ops.push(ListOp {
            operation_id: id.to_string(),
            builder: pascal(id),
            page,
            item: item_type,
            headers: header_params(spec, item, get),
            shape: PageShape::Bundle { wrapper },
        });
    }
    ops
}

/// `patients_list` -> `PatientsList`, as progenitor names builders.
pub(crate) fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Takes progenitor's `api-version` header (the spec's `info.version`, which no vendor asks
/// for) out of a generated `send()`: the statement appending it goes, and the header map's
/// capacity shrinks to the headers left, so a call with no header parameter allocates none.
fn drop_api_version_header(block: &mut syn::Block) -> usize {
    let before = block.stmts.len();
    block.stmts.retain(|stmt| {
        !stmt
            .to_token_stream()
            .to_string()
            .contains("\"api-version\"")
    });
    let removed = before - block.stmts.len();
    if removed == 0 {
        return 0;
    }
    struct Shrink(usize);
    impl VisitMut for Shrink {
        fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
            if path_ends_with(&call.func, &["HeaderMap", "with_capacity"])
                && let Some(syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(n),
                    ..
                })) = call.args.first_mut()
                && let Ok(value) = n.base10_parse::<usize>()
            {
                let left = value.saturating_sub(self.0);
                *n = syn::LitInt::new(&format!("{left}usize"), n.span());
            }
            syn::visit_mut::visit_expr_call_mut(self, call);
        }
    }
    Shrink(removed).visit_block_mut(block);
    // With no header left to add, the map is no longer mutated.
    let mutated = block.stmts.iter().any(|stmt| {
        let text = stmt.to_token_stream().to_string();
        text.contains("header_map . append") || text.contains("header_map . insert")
    });
    if !mutated {
        drop_empty_header_map(block);
    }
    removed
}

/// Removes an empty `header_map` and the `.headers(header_map)` that would merge it into the
/// request: merging nothing still walks and drops a map on every call.
fn drop_empty_header_map(block: &mut syn::Block) {
    block.stmts.retain(|stmt| {
        !matches!(stmt, syn::Stmt::Local(local)
            if matches!(&local.pat, syn::Pat::Ident(ident) if ident.ident == "header_map"))
    });
    struct Unmerge;
    impl VisitMut for Unmerge {
        fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
            syn::visit_mut::visit_expr_mut(self, expr);
            if let syn::Expr::MethodCall(call) = expr
                && call.method == "headers"
                && call.args.len() == 1
                && call.args[0].to_token_stream().to_string() == "header_map"
            {
                *expr = (*call.receiver).clone();
            }
        }
    }
    Unmerge.visit_block_mut(block);
}

/// Makes a generated `send()` call `ehr_runtime`'s equivalents of three progenitor calls, which
/// give the same results with less work a call: `ehr_runtime::PathSegment(&x)` for
/// `encode_path(&x.to_string())`, `.query_param(name, value)`
/// (`ehr_runtime::QueryParamExt`: an absent optional query parameter leaves the URL alone) for
/// `.query(&QueryParam::new(name, value))`, and
/// `ehr_runtime::response_value` (headers moved, not copied; decoded as the client's runtime
/// says, naming the operation) for `ResponseValue::from_response`.
fn lighter_calls(block: &mut syn::Block, rewrites: &mut Rewrites) {
    struct Lighter<'r>(&'r mut Rewrites);
    impl VisitMut for Lighter<'_> {
        fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
            syn::visit_mut::visit_expr_mut(self, expr);
            match expr {
                syn::Expr::MethodCall(call) if call.method == "query" && call.args.len() == 1 => {
                    if let syn::Expr::Reference(reference) = &call.args[0]
                        && let syn::Expr::Call(param) = &*reference.expr
                        && param.args.len() == 2
                        && path_ends_with(&param.func, &["QueryParam", "new"])
                    {
                        let (name, value) = (param.args[0].clone(), param.args[1].clone());
                        call.method = syn::Ident::new("query_param", call.method.span());
                        call.args = syn::parse_quote!(#name, #value);
                        self.0.query_params += 1;
                    }
                }
                // The URL's `format!`: its arguments are expressions too.
                syn::Expr::Macro(m) if m.mac.path.is_ident("format") => {
                    if let Ok(mut args) = format_args(&m.mac) {
                        for arg in args.iter_mut() {
                            self.visit_expr_mut(arg);
                        }
                        m.mac.tokens = quote::quote!(#args);
                    }
                }
                // `encode_path(&x.to_string())` -> `PathSegment(&x)`: the same encoding,
                // written into the URL's `format!` with no `String` for the value or its
                // encoding (checked by `encode_path_calls` once all are rewritten).
                syn::Expr::Call(call)
                    if path_ends_with(&call.func, &["encode_path"]) && call.args.len() == 1 =>
                {
                    if let syn::Expr::Reference(reference) = &call.args[0]
                        && let syn::Expr::MethodCall(to_string) = &*reference.expr
                        && to_string.method == "to_string"
                        && to_string.args.is_empty()
                    {
                        let value = &to_string.receiver;
                        *expr = syn::parse_quote!(::ehr_runtime::PathSegment(&#value));
                        self.0.path_segments += 1;
                    }
                }
                syn::Expr::Call(call)
                    if path_ends_with(&call.func, &["ResponseValue", "from_response"]) =>
                {
                    // With the client's runtime (its decoding) and the operation (for warnings).
                    call.func = syn::parse_quote!(::ehr_runtime::response_value);
                    call.args
                        .push(syn::parse_quote!(::progenitor_client::ClientInfo::inner(
                            client
                        )));
                    call.args.push(syn::parse_quote!(info.operation_id));
                    self.0.response_values += 1;
                }
                _ => {}
            }
        }
    }
    Lighter(rewrites).visit_block_mut(block);
}

/// Takes out of a generated `send()` the code that can never run under `ehr_runtime`, which
/// cost ehr-elation ~15 % of its compile time (one `.await` and one instance of the decode per
/// documented error status, ~1,400 of them, and two hook calls per operation):
///
/// - the `ClientHooks::pre` and `post` calls: `ehr_runtime::hook_generated_client!` implements
///   only `exec`, so they are progenitor's empty defaults;
/// - the match arms for documented error statuses (`400u16 => Err(Error::ErrorResponse(…))`):
///   `Runtime::execute` answers every status other than 2xx with its 599 carrier, which the
///   `_ => Err(Error::UnexpectedResponse(…))` arm takes (and a response the runtime did not see
///   would take it too, its body then read by `ehr_runtime::Error::from_generated`).
fn drop_unreachable_code(block: &mut syn::Block, rewrites: &mut Rewrites) {
    let before = block.stmts.len();
    block.stmts.retain(|stmt| {
        let text = stmt.to_token_stream().to_string();
        !(text.starts_with("client . pre (") || text.starts_with("client . post ("))
    });
    rewrites.hook_calls += before - block.stmts.len();
    struct Arms<'r>(&'r mut Rewrites);
    impl VisitMut for Arms<'_> {
        fn visit_expr_match_mut(&mut self, expr: &mut syn::ExprMatch) {
            if expr.expr.to_token_stream().to_string() == "response . status () . as_u16 ()" {
                self.0.status_matches += 1;
                let before = expr.arms.len();
                expr.arms.retain(|arm| {
                    !arm.body
                        .to_token_stream()
                        .to_string()
                        .contains("Error :: ErrorResponse")
                });
                self.0.error_arms += before - expr.arms.len();
            }
            syn::visit_mut::visit_expr_match_mut(self, expr);
        }
    }
    Arms(rewrites).visit_block_mut(block);
}

/// Whether `expr` is a path whose last segments are `tail`.
fn path_ends_with(expr: &syn::Expr, tail: &[&str]) -> bool {
    let syn::Expr::Path(path) = expr else {
        return false;
    };
    let segments: Vec<String> = path
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    segments.len() >= tail.len() && segments[segments.len() - tail.len()..] == *tail
}

/// The items of the generated `types` module.
fn types_module(file: &mut syn::File) -> Result<&mut Vec<syn::Item>, String> {
    file.items
        .iter_mut()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "types" => m.content.as_mut().map(|c| &mut c.1),
            _ => None,
        })
        .ok_or_else(|| "generated code has no `types` module".to_string())
}

/// The generated `builder` module's items.
fn builder_module(file: &mut syn::File) -> Result<&mut Vec<syn::Item>, String> {
    file.items
        .iter_mut()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "builder" => m.content.as_mut().map(|c| &mut c.1),
            _ => None,
        })
        .ok_or_else(|| "generated code has no `builder` module".to_string())
}

/// Makes every builder's `send()` return `ehr_runtime::Error` with its operation id.
///
/// progenitor's `send()` returns `progenitor_client::Error<E>`, which names no operation and,
/// for the runtime's carried errors, holds a bare response. Each one is renamed to a private
/// `progenitor_send()`, and a public `send()` with the same documentation calls it and turns
/// its error into `ehr_runtime::Error` (the operation id is the literal progenitor gives its
/// `OperationInfo`).
fn return_runtime_errors(file: &mut syn::File) -> Result<Rewrites, String> {
    let builder = builder_module(file)?;
    let mut rewrites = Rewrites::default();
    for item in builder.iter_mut() {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let mut wrappers = Vec::new();
        for impl_item in block.items.iter_mut() {
            let syn::ImplItem::Fn(send) = impl_item else {
                continue;
            };
            if send.sig.ident != "send" || send.sig.asyncness.is_none() {
                continue;
            }
            let operation_id = operation_id_of(&send.block).ok_or_else(|| {
                "a generated send() has no `OperationInfo { operation_id: \"…\" }`".to_string()
            })?;
            let success = success_type(&send.sig.output).ok_or_else(|| {
                format!("{operation_id}: send() does not return Result<ResponseValue<T>, Error<E>>")
            })?;
            let docs: Vec<_> = send
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("doc"))
                .cloned()
                .collect();
            send.attrs.retain(|a| !a.path().is_ident("doc"));
            send.attrs.push(syn::parse_quote! {
                #[doc = " progenitor's `send()`; see [`send`](Self::send)."]
            });
            send.sig.ident = syn::Ident::new("progenitor_send", proc_macro2::Span::call_site());
            rewrites.api_version_headers += drop_api_version_header(&mut send.block);
            lighter_calls(&mut send.block, &mut rewrites);
            drop_unreachable_code(&mut send.block, &mut rewrites);
            send.vis = syn::Visibility::Inherited;
            let errors = format!(
                " Errors are [`ehr_runtime::Error`] (`ehr_sdk::Error`) naming `{operation_id}`, \
                 with the vendor's reason for a refusal."
            );
            wrappers.push(syn::parse_quote! {
                #(#docs)*
                #[doc = ""]
                #[doc = #errors]
                pub async fn send(self) -> Result<#success, ::ehr_runtime::Error> {
                    match self.progenitor_send().await {
                        Ok(value) => Ok(value),
                        // Boxed: the error path's future stays out of every call's.
                        Err(error) => Err(Box::pin(::ehr_runtime::Error::from_generated(#operation_id, error)).await),
                    }
                }
            });
        }
        rewrites.sends += wrappers.len();
        block.items.extend(wrappers);
    }
    rewrites.check(&leftovers(builder))?;
    // For the `.query_param(…)` calls `lighter_calls` writes.
    builder.insert(
        0,
        syn::parse_quote! {
            #[allow(unused_imports)]
            use ::ehr_runtime::QueryParamExt as _;
        },
    );
    Ok(rewrites)
}

/// How many places each rewrite of progenitor's `send()` bodies changed in one file. Each was
/// written for a shape of progenitor's output; [`Rewrites::check`] fails codegen when one
/// found nothing to change where it always should, or left some of its shape unchanged, so a
/// progenitor upgrade that changes a shape fails loudly instead of silently generating code
/// that does more work a call (or sends progenitor's `api-version` header).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rewrites {
    /// `send()`s renamed to `progenitor_send()` and wrapped.
    pub sends: usize,
    /// `api-version` header statements taken out (`drop_api_version_header`): one per send.
    pub api_version_headers: usize,
    /// `client.pre(…)` / `client.post(…)` hook calls taken out (`drop_unreachable_code`).
    pub hook_calls: usize,
    /// `match response.status().as_u16()` found (`drop_unreachable_code`).
    pub status_matches: usize,
    /// Documented error-status arms taken out of them.
    pub error_arms: usize,
    /// `.query(&QueryParam::new(…))` made `.query_param(…)` (`lighter_calls`).
    pub query_params: usize,
    /// `encode_path(&x.to_string())` made `PathSegment(&x)` (`lighter_calls`).
    pub path_segments: usize,
    /// `ResponseValue::from_response` made `ehr_runtime::response_value` (`lighter_calls`).
    pub response_values: usize,
}

/// What is left in the builder module of the shapes the rewrites change, by rewrite.
#[derive(Debug, Default, PartialEq, Eq)]
struct Leftovers {
    api_version_headers: usize,
    hook_calls: usize,
    error_arms: usize,
    query_params: usize,
    encode_paths: usize,
    from_responses: usize,
}

impl Rewrites {
    /// Fails when a rewrite that every `send()` needs changed nothing, or when any rewrite
    /// left some of its shape unchanged.
    fn check(&self, left: &Leftovers) -> Result<(), String> {
        let mut problems = Vec::new();
        if self.sends == 0 {
            problems.push("no `send()` found to wrap".to_string());
        }
        let mut every_send = |name: &str, count: usize, what: &str| {
            if count < self.sends {
                problems.push(format!(
                    "`{name}` changed {count} of {} send()s: {what}",
                    self.sends
                ));
            }
        };
        every_send(
            "drop_api_version_header",
            self.api_version_headers,
            "progenitor no longer adds `api-version` as it did",
        );
        every_send(
            "drop_unreachable_code",
            self.hook_calls / 2,
            "progenitor no longer calls `client.pre(…)` and `client.post(…)` as it did",
        );
        every_send(
            "drop_unreachable_code",
            self.status_matches,
            "progenitor no longer matches on `response.status().as_u16()`",
        );
        if self.sends > 0 && self.response_values == 0 {
            problems.push(
                "`lighter_calls` found no `ResponseValue::from_response(…)` to make \
                 `ehr_runtime::response_value`: progenitor decodes responses another way"
                    .to_string(),
            );
        }
        for (name, count, shape) in [
            (
                "drop_api_version_header",
                left.api_version_headers,
                "`\"api-version\"`",
            ),
            (
                "drop_unreachable_code",
                left.hook_calls,
                "`client.pre(…)` / `client.post(…)`",
            ),
            (
                "drop_unreachable_code",
                left.error_arms,
                "`Error::ErrorResponse` arms",
            ),
            ("lighter_calls", left.query_params, "`QueryParam::new(…)`"),
            ("lighter_calls", left.encode_paths, "`encode_path(…)`"),
            (
                "lighter_calls",
                left.from_responses,
                "`ResponseValue::from_response(…)`",
            ),
        ] {
            if count != 0 {
                problems.push(format!(
                    "`{name}` left {count} use(s) of {shape} in a shape it does not rewrite"
                ));
            }
        }
        if problems.is_empty() {
            return Ok(());
        }
        Err(format!(
            "the rewrites of progenitor's output no longer match it (progenitor {}): {}; \
             update xtask/src/codegen.rs for the new shapes",
            progenitor_version(),
            problems.join("; ")
        ))
    }
}

/// The progenitor version this xtask was built against, from the workspace's `Cargo.lock`.
fn progenitor_version() -> String {
    let lock = include_str!("../../Cargo.lock");
    lock.split("[[package]]")
        .find(|p| p.contains("\nname = \"progenitor\"\n"))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = ")))
        .map_or_else(|| "?".to_string(), |v| v.trim_matches('"').to_string())
}

/// Counts, in the rewritten builder module, what is left of the shapes the rewrites change
/// (including inside each `format!`, whose arguments are expressions too).
fn leftovers(items: &[syn::Item]) -> Leftovers {
    use syn::visit::Visit;
    struct Count(Leftovers);
    impl<'ast> Visit<'ast> for Count {
        fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
            if path_ends_with(&call.func, &["encode_path"]) {
                self.0.encode_paths += 1;
            }
            if path_ends_with(&call.func, &["QueryParam", "new"]) {
                self.0.query_params += 1;
            }
            if path_ends_with(&call.func, &["ResponseValue", "from_response"]) {
                self.0.from_responses += 1;
            }
            syn::visit::visit_expr_call(self, call);
        }
        fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
            if (call.method == "pre" || call.method == "post")
                && call.receiver.to_token_stream().to_string() == "client"
            {
                self.0.hook_calls += 1;
            }
            syn::visit::visit_expr_method_call(self, call);
        }
        fn visit_lit_str(&mut self, lit: &'ast syn::LitStr) {
            if lit.value() == "api-version" {
                self.0.api_version_headers += 1;
            }
        }
        fn visit_arm(&mut self, arm: &'ast syn::Arm) {
            if arm
                .body
                .to_token_stream()
                .to_string()
                .contains("Error :: ErrorResponse")
            {
                self.0.error_arms += 1;
            }
            syn::visit::visit_arm(self, arm);
        }
        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            if let Ok(args) = format_args(mac) {
                for arg in &args {
                    self.visit_expr(arg);
                }
            }
        }
    }
    let mut count = Count(Leftovers::default());
    for item in items {
        count.visit_item(item);
    }
    count.0
}

/// The arguments of a `format!` (the format string first), as expressions.
fn format_args(
    mac: &syn::Macro,
) -> syn::Result<syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>> {
    if !mac.path.is_ident("format") {
        return Err(syn::Error::new(
            proc_macro2::Span::call_site(),
            "not format!",
        ));
    }
    mac.parse_body_with(syn::punctuated::Punctuated::parse_terminated)
}

/// The `operation_id: "…"` literal of the `OperationInfo` a generated `send()` builds.
fn operation_id_of(block: &syn::Block) -> Option<String> {
    use syn::visit::Visit;
    struct Find(Option<String>);
    impl<'ast> Visit<'ast> for Find {
        fn visit_expr_struct(&mut self, e: &'ast syn::ExprStruct) {
            if e.path
                .segments
                .last()
                .is_some_and(|s| s.ident == "OperationInfo")
            {
                for field in &e.fields {
                    if let (
                        syn::Member::Named(name),
                        syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(id),
                            ..
                        }),
                    ) = (&field.member, &field.expr)
                        && name == "operation_id"
                    {
                        self.0 = Some(id.value());
                    }
                }
            }
            syn::visit::visit_expr_struct(self, e);
        }
    }
    let mut find = Find(None);
    find.visit_block(block);
    find.0
}

/// `ResponseValue<T>` of a `Result<ResponseValue<T>, Error<E>>` return type.
fn success_type(output: &syn::ReturnType) -> Option<syn::Type> {
    let syn::ReturnType::Type(_, ty) = output else {
        return None;
    };
    let syn::Type::Path(path) = &**ty else {
        return None;
    };
    let result = path.path.segments.last().filter(|s| s.ident == "Result")?;
    let syn::PathArguments::AngleBracketed(args) = &result.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(success) => Some(success.clone()),
        _ => None,
    }
}

/// Implements `ehr_runtime::pagination::{ListRequest, Page}` inside the generated `builder`
/// module (where the builders' private `client` field is visible).
fn add_paging(file: &mut syn::File, ops: &[ListOp]) -> Result<(), String> {
    let builder = builder_module(file)?;
    let next_page: syn::Item = syn::parse_quote! {
        /// Fetches the page at `url` through the client's hooks, as generated calls are sent.
        fn ehr_next_page<'a, P: ::serde::de::DeserializeOwned + Send + 'a>(
            client: &'a super::Client,
            url: String,
            operation_id: &'static str,
            headers: ::reqwest::header::HeaderMap,
        ) -> ::ehr_runtime::pagination::PageFuture<'a, P> {
            Box::pin(async move {
                let request = client
                    .client
                    .get(&url)
                    .header(
                        ::reqwest::header::ACCEPT,
                        ::reqwest::header::HeaderValue::from_static("application/json"),
                    )
                    .headers(headers)
                    .build()
                    .map_err(|e| ::ehr_runtime::Error::http(operation_id, e, Vec::new()))?;
                let info = ::progenitor_client::OperationInfo { operation_id };
                let sent = ::progenitor_client::ClientHooks::exec(client, request, &info).await;
                ::ehr_runtime::pagination::decode_page(operation_id, sent).await
            })
        }
    };
    builder.push(next_page);
    // Two list operations may answer the same page type (`/api/appointments` and
    // `/api/appointments_list`): one `Page` impl for it.
    let mut paged = std::collections::BTreeSet::new();
    for op in ops {
        let builder_ty = syn::Ident::new(&op.builder, proc_macro2::Span::call_site());
        let page = syn::Ident::new(&op.page, proc_macro2::Span::call_site());
        let item = syn::Ident::new(&op.item, proc_macro2::Span::call_site());
        let id = &op.operation_id;
        let names = op.headers.iter().map(|(name, _)| name);
        let fields = op
            .headers
            .iter()
            .map(|(_, field)| syn::Ident::new(field, proc_macro2::Span::call_site()));
        builder.push(syn::parse_quote! {
            impl<'a> ::ehr_runtime::pagination::ListRequest<'a> for #builder_ty<'a> {
                type Page = super::types::#page;
                fn split(self) -> ::ehr_runtime::pagination::Split<'a, Self::Page> {
                    let client: &'a super::Client = self.client;
                    #[allow(unused_mut)]
                    let mut headers = ::reqwest::header::HeaderMap::new();
                    #(
                        if let Ok(Some(value)) = &self.#fields
                            && let Ok(value) = ::reqwest::header::HeaderValue::try_from(value.to_string())
                        {
                            headers.insert(::reqwest::header::HeaderName::from_static(#names), value);
                        }
                    )*
                    ::ehr_runtime::pagination::Split {
                        operation_id: #id,
                        base_url: client.baseurl.as_str(),
                        first: Box::pin(async move {
                            self.send().await.map(ResponseValue::into_inner)
                        }),
                        next: Box::new(move |url| ehr_next_page(client, url, #id, headers.clone())),
                    }
                }
            }
        });
        if !paged.insert(op.page.clone()) {
            continue;
        }
        builder.push(match &op.shape {
            PageShape::Envelope => syn::parse_quote! {
                impl ::ehr_runtime::pagination::Page for super::types::#page {
                    type Item = super::types::#item;
                    fn next_url(&self) -> Option<&str> {
                        self.next.as_deref()
                    }
                    fn item_count(&self) -> usize {
                        self.results.len()
                    }
                    fn into_items(self) -> Vec<Self::Item> {
                        self.results
                    }
                }
            },
            PageShape::Bundle { wrapper } => {
                let wrapper = syn::Ident::new(wrapper, proc_macro2::Span::call_site());
                let resource_type = &op.item;
                let doc = format!(
                    " Pages by the Bundle's `next` link; the items are the entries whose resource \
                     is a `{resource_type}` (other entries, such as an `OperationOutcome` with \
                     search mode `outcome` or an included resource, are left out; they stay in \
                     the page's `entry`, as JSON). An entry of type `{resource_type}` that does \
                     not decode fails the page with a decode error: it is never left out."
                );
                syn::parse_quote! {
                    #[doc = #doc]
                    impl ::ehr_runtime::pagination::Page for super::types::#page {
                        type Item = super::types::#item;
                        fn next_url(&self) -> Option<&str> {
                            self.link
                                .iter()
                                .find(|link| {
                                    link.relation.as_ref().is_some_and(|r| r.as_str() == "next")
                                })
                                .and_then(|link| link.url.as_deref())
                        }
                        fn item_count(&self) -> usize {
                            self.entry
                                .iter()
                                .filter(|entry| matches!(
                                    &entry.resource,
                                    Some(super::types::#wrapper::#item(resource))
                                        if resource.resource_type == #resource_type
                                ))
                                .count()
                        }
                        fn into_items(self) -> Vec<Self::Item> {
                            self.entry
                                .into_iter()
                                .filter_map(|entry| match entry.resource {
                                    Some(super::types::#wrapper::#item(resource))
                                        if resource.resource_type == #resource_type =>
                                    {
                                        Some(resource)
                                    }
                                    _ => None,
                                })
                                .collect()
                        }
                    }
                }
            }
        });
    }
    Ok(())
}

/// Decodes each FHIR Bundle entry's resource by its `resourceType`, not by which shape fits
/// first: progenitor derives an untagged `Deserialize` for the `oneOf` wrapper (the searched
/// type, then `OtherResource`), which reads an `OperationOutcome` or an included `Location` as
/// the searched type (all its fields are optional) and loses their data, and reads an entry of
/// the searched type that fails to decode as `OtherResource`, which the items then leave out:
/// data lost without an error. Each wrapper loses its derived `Deserialize` and gets one that
/// calls `ehr_runtime::fhir::entry_resource`: the searched type is decoded strictly (a failure
/// fails the page with a typed decode error), any other type is kept as JSON. A wrapper that is
/// not of that shape fails the generation, naming it.
fn entries_by_resource_type(file: &mut syn::File, ops: &[ListOp]) -> Result<(), String> {
    let types = types_module(file)?;
    let mut done = std::collections::BTreeSet::new();
    for op in ops {
        let PageShape::Bundle { wrapper } = &op.shape else {
            continue;
        };
        if !done.insert(wrapper.clone()) {
            continue;
        }
        let item = &op.item;
        let found = types.iter_mut().find_map(|i| match i {
            syn::Item::Enum(e) if e.ident == wrapper.as_str() => Some(e),
            _ => None,
        });
        let Some(wrapper_enum) = found else {
            return Err(format!(
                "the Bundle entry wrapper `{wrapper}` of `{}` was not generated",
                op.operation_id
            ));
        };
        let arms: Vec<String> = wrapper_enum
            .variants
            .iter()
            .map(|v| v.ident.to_string())
            .collect();
        if arms != [item.as_str(), "OtherResource"] || !derives_deserialize(&wrapper_enum.attrs) {
            return Err(format!(
                "the Bundle entry wrapper `{wrapper}` must be `oneOf: [{item}, OtherResource]` with a derived Deserialize; it has {arms:?}"
            ));
        }
        drop_deserialize_derive(&mut wrapper_enum.attrs);
        let name = syn::Ident::new(wrapper, proc_macro2::Span::call_site());
        let typed = syn::Ident::new(item, proc_macro2::Span::call_site());
        types.push(syn::parse_quote! {
            impl<'de> ::serde::Deserialize<'de> for #name {
                fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
                where
                    D: ::serde::Deserializer<'de>,
                {
                    ::ehr_runtime::fhir::entry_resource(deserializer, #item, Self::#typed, Self::OtherResource)
                }
            }
        });
    }
    Ok(())
}

/// Keeps typify's struct builders (`types::builder::X`, `X::builder()`) only for the types an
/// operation takes as its body, which the operation builders' `body(…)` / `body_map(…)` use.
///
/// typify writes a builder for every struct (in ehr-elation 78k of the 190k lines without
/// mocks), but a response type is never built by a caller; its builder was compile time spent
/// for nothing. Such types are still built with a struct literal (their fields are public).
fn keep_request_body_builders(file: &mut syn::File) -> Result<(), String> {
    /// Collects `X` of every path `…::types::builder::X`.
    struct BodyBuilders(std::collections::HashSet<String>);
    impl<'ast> syn::visit::Visit<'ast> for BodyBuilders {
        fn visit_path(&mut self, path: &'ast syn::Path) {
            let names: Vec<_> = path.segments.iter().map(|s| &s.ident).collect();
            if let [.., types, builder, name] = names[..]
                && types == "types"
                && builder == "builder"
            {
                self.0.insert(name.to_string());
            }
            syn::visit::visit_path(self, path);
        }
    }
    let mut found = BodyBuilders(Default::default());
    for item in builder_module(file)?.iter() {
        syn::visit::Visit::visit_item(&mut found, item);
    }
    let keep = found.0;
    let types = types_module(file)?;
    let subject = |ty: &syn::Type| match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    };
    for item in types.iter_mut() {
        match item {
            syn::Item::Mod(m) if m.ident == "builder" => {
                if let Some((_, items)) = m.content.as_mut() {
                    items.retain(|item| match item {
                        syn::Item::Struct(s) => keep.contains(&s.ident.to_string()),
                        syn::Item::Impl(i) => {
                            subject(&i.self_ty).is_some_and(|n| keep.contains(&n))
                        }
                        _ => true,
                    });
                }
            }
            syn::Item::Impl(i)
                if i.trait_.is_none()
                    && subject(&i.self_ty).is_some_and(|n| !keep.contains(&n)) =>
            {
                i.items
                    .retain(|f| !matches!(f, syn::ImplItem::Fn(f) if f.sig.ident == "builder"));
            }
            _ => {}
        }
    }
    // An inherent impl left empty goes too.
    types.retain(
        |item| !matches!(item, syn::Item::Impl(i) if i.trait_.is_none() && i.items.is_empty()),
    );
    Ok(())
}

/// Makes every optional (`Option<T>`) field of the generated types tolerant: a value of another
/// type than the spec says leaves that field out (with a warning naming its JSON path) instead
/// of failing the whole response, and, for a vendor whose `""` means absent (`blank`), `""` is
/// `None` (see `crates/ehr-runtime/src/decode/`). Required fields, array elements and map values
/// are read as they are.
///
/// Each struct with named fields loses its derived `Deserialize`: the derive moves to a private
/// copy, `types::fields::<Name>_`, whose optional fields are `ehr_runtime::decode::Tolerant<T>`
/// (`Tolerant<T, true>` under the blank rule), and the struct gets an impl that decodes the copy
/// through `ehr_runtime::decode::Record` (which names fields in the paths of what is left out)
/// and moves its fields over. One small impl per struct: `deserialize_with` on each field cost
/// two wrapper types per field (40 % of ehr-drchrono's compile time, when the blank rule was
/// done that way). A struct with a container attribute that changes how it decodes
/// (`transparent`, `from`, `try_from`, …) keeps its derive.
fn tolerant_fields(file: &mut syn::File, blank: bool) -> Result<(), String> {
    let types = types_module(file)?;
    let mut items = Vec::with_capacity(types.len());
    let mut copies: Vec<syn::Item> = Vec::new();
    for mut item in types.drain(..) {
        let syn::Item::Struct(s) = &mut item else {
            items.push(item);
            continue;
        };
        let syn::Fields::Named(fields) = &mut s.fields else {
            items.push(item);
            continue;
        };
        let container_ok = s
            .attrs
            .iter()
            .flat_map(serde_words_of)
            .all(|w| w == "serde" || w == "deny_unknown_fields");
        if !derives_deserialize(&s.attrs) || !s.generics.params.is_empty() || !container_ok {
            items.push(item);
            continue;
        }

        let name = s.ident.clone();
        let copy_name = quote::format_ident!("{name}_");
        let container: Vec<&syn::Attribute> = s
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("serde"))
            .collect();
        let mut moves = Vec::with_capacity(fields.named.len());
        let copy_fields: Vec<syn::Field> = fields
            .named
            .iter()
            .map(|f| {
                let mut copy = f.clone();
                copy.attrs.retain(|a| a.path().is_ident("serde"));
                copy.vis = syn::parse_quote!(pub(super));
                let ident = f.ident.clone().expect("named field");
                match tolerant_type(f, blank) {
                    Some(ty) => {
                        copy.ty = ty;
                        if !serde_words(f).iter().any(|w| w == "default") {
                            copy.attrs.push(syn::parse_quote!(#[serde(default)]));
                        }
                        moves.push(quote!(#ident: fields.#ident.0));
                    }
                    None => moves.push(quote!(#ident: fields.#ident)),
                }
                copy
            })
            .collect();
        copies.push(syn::parse_quote! {
            #[derive(::serde::Deserialize)]
            #(#container)*
            pub(super) struct #copy_name { #(#copy_fields),* }
        });
        drop_deserialize_derive(&mut s.attrs);
        items.push(item);
        items.push(syn::parse_quote! {
            impl<'de> ::serde::Deserialize<'de> for #name {
                fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
                where
                    D: ::serde::Deserializer<'de>,
                {
                    let fields = fields::#copy_name::deserialize(
                        ::ehr_runtime::decode::Record::new(deserializer),
                    )?;
                    Ok(Self { #(#moves),* })
                }
            }
        });
    }
    if !copies.is_empty() {
        items.push(syn::parse_quote! {
            /// The field-by-field code of each struct, derived on a copy whose optional fields
            /// are `ehr_runtime::decode::Tolerant`, and decoded through
            /// `ehr_runtime::decode::Record` by the struct's `Deserialize` impl.
            #[allow(non_camel_case_types, dead_code)]
            mod fields {
                use super::*;
                #(#copies)*
            }
        });
    }
    *types = items;
    Ok(())
}

/// `Tolerant<T>` (`Tolerant<T, true>` under the blank rule) for a field `Option<T>` with no
/// deserializer of its own; `None` for any other field.
fn tolerant_type(field: &syn::Field, blank: bool) -> Option<syn::Type> {
    if !blank_rule_applies(field) {
        return None;
    }
    let syn::Type::Path(ty) = &field.ty else {
        return None;
    };
    let syn::PathArguments::AngleBracketed(args) = &ty.path.segments.last()?.arguments else {
        return None;
    };
    let Some(syn::GenericArgument::Type(inner)) = args.args.first() else {
        return None;
    };
    Some(if blank {
        syn::parse_quote!(::ehr_runtime::decode::Tolerant<#inner, true>)
    } else {
        syn::parse_quote!(::ehr_runtime::decode::Tolerant<#inner>)
    })
}

/// Whether the blank rule is for `field`: an `Option<…>` with no deserializer of its own.
fn blank_rule_applies(field: &syn::Field) -> bool {
    let syn::Type::Path(ty) = &field.ty else {
        return false;
    };
    if ty
        .path
        .segments
        .last()
        .is_none_or(|seg| seg.ident != "Option")
    {
        return false;
    }
    let words = serde_words(field);
    !["deserialize_with", "with", "flatten"]
        .iter()
        .any(|word| words.iter().any(|w| w == word))
}

/// The words of a field's `#[serde(…)]` attributes (string literals included, which hold
/// paths, never these words).
fn serde_words(field: &syn::Field) -> Vec<String> {
    field.attrs.iter().flat_map(serde_words_of).collect()
}

fn serde_words_of(attr: &syn::Attribute) -> Vec<String> {
    if !attr.path().is_ident("serde") {
        return Vec::new();
    }
    let text = attr.meta.to_token_stream().to_string();
    text.split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The paths of every `#[derive(…)]` on an item.
fn derive_paths(attr: &syn::Attribute) -> Option<Vec<syn::Path>> {
    if !attr.path().is_ident("derive") {
        return None;
    }
    attr.parse_args_with(syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
        .ok()
        .map(|paths| paths.into_iter().collect())
}

fn is_deserialize(path: &syn::Path) -> bool {
    path.segments
        .last()
        .is_some_and(|seg| seg.ident == "Deserialize")
}

fn derives_deserialize(attrs: &[syn::Attribute]) -> bool {
    attrs
        .iter()
        .filter_map(derive_paths)
        .any(|paths| paths.iter().any(is_deserialize))
}

fn drop_deserialize_derive(attrs: &mut [syn::Attribute]) {
    for attr in attrs {
        if let Some(paths) = derive_paths(attr)
            && paths.iter().any(is_deserialize)
        {
            let kept = paths.iter().filter(|p| !is_deserialize(p));
            *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
        }
    }
}

fn settings() -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_inner_type(quote!(::ehr_runtime::Runtime))
        .with_hooks(HooksMode::Expected)
        // `x-rust-type` in a spec may name hand-written types of the runtime crate, nothing else.
        .with_crate("ehr-runtime", CrateVers::Any, None);
    settings
}

fn header(vendor: Vendor) -> String {
    format!(
        "// @generated by `cargo xtask codegen` from {spec} with progenitor 0.15.\n\
         // DO NOT EDIT: change {spec} and run `cargo xtask codegen` (or `cargo xtask codegen {name}`).\n\n",
        spec = vendor.spec_path(),
        name = vendor.name(),
    )
}

/// The printed `mock` module: progenitor's typed httpmock helpers, behind the `mock` feature.
fn mock_module(spec: &openapiv3::OpenAPI) -> Result<String, String> {
    let mock = generate_file(|| Generator::new(&settings()).httpmock(spec, "crate"))?;
    let mut file: syn::File = syn::parse_quote! {
        /// Typed [`httpmock`] helpers for every operation (feature `mock`): one
        /// `<Operation>When` / `<Operation>Then` pair per operation and a `MockServerExt`
        /// trait adding a method per operation to `httpmock::MockServer`.
        #[cfg(feature = "mock")]
        #[allow(clippy::all, missing_docs, unused_imports)]
        pub mod mock {}
    };
    let Some(syn::Item::Mod(module)) = file.items.first_mut() else {
        return Err("the mock module went missing".into());
    };
    module.attrs.extend(mock.attrs);
    module.content = Some((Default::default(), mock.items));
    LineDocs.visit_file_mut(&mut file);
    Ok(prettyplease::unparse(&file))
}

/// Runs a progenitor generation and parses its tokens; a panic or an error becomes a message.
fn generate_file(
    f: impl FnOnce() -> Result<proc_macro2::TokenStream, progenitor::Error>,
) -> Result<syn::File, String> {
    let tokens = quietly_catch(f)
        .map_err(|panic| format!("progenitor panicked: {panic}"))?
        .map_err(|e| format!("progenitor: {e}"))?;
    syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))
}

/// Runs `f`, turning a panic into its message. (The caller keeps the panic hook quiet while
/// vendors generate; see `main.rs`.)
fn quietly_catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string())
    })
}

/// Splits every multi-line `#[doc = "…"]` into one attribute per line, each made safe for
/// rustdoc ([`doc_safe`]).
///
/// prettyplease prints a multi-line doc attribute as a `/** … */` block, whose continuation
/// lines a formatter may indent; rustdoc would then read them as code blocks and run them as
/// doctests. One attribute per line prints as `///` lines, which keep their Markdown.
struct LineDocs;

impl VisitMut for LineDocs {
    fn visit_attributes_mut(&mut self, attrs: &mut Vec<syn::Attribute>) {
        let mut split = Vec::with_capacity(attrs.len());
        // Inside a fenced code block (progenitor's examples), lines are code: kept as they are.
        let mut fenced = false;
        for attr in attrs.drain(..) {
            match doc_text(&attr) {
                Some(text) => {
                    let multi_line = text.contains('\n');
                    let lines: Vec<&str> = if multi_line {
                        text.lines().collect()
                    } else {
                        vec![text.as_str()]
                    };
                    for line in lines {
                        let fence = line.trim_start().starts_with("```");
                        let line = if fenced || fence {
                            line.to_string()
                        } else {
                            doc_safe(line)
                        };
                        fenced ^= fence;
                        let line = if !multi_line || line.is_empty() || line.starts_with(' ') {
                            line
                        } else {
                            format!(" {line}")
                        };
                        let mut one = attr.clone();
                        if let syn::Meta::NameValue(nv) = &mut one.meta {
                            nv.value = syn::parse_quote!(#line);
                        }
                        split.push(one);
                    }
                }
                None => split.push(attr),
            }
        }
        *attrs = split;
    }
}

/// A line of the vendors' prose as rustdoc renders it as written, outside inline code: a bare
/// URL becomes an autolink (`<https://…>`), a `[…]` that is neither an intra-doc link
/// (``[`Client::x`]``, as progenitor writes them) nor a Markdown link (`[text](url)`) is
/// escaped (DrChrono's `"[DD] [HH:[MM:]]ss"`), and a `<word>` that is not an autolink is
/// escaped (`<upper>` is a placeholder, not an HTML tag).
fn doc_safe(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len() + 8);
    let mut in_code = false;
    // For each `[` met outside code: whether it was kept (a link) or escaped.
    let mut open: Vec<bool> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let rest: String = chars[i..].iter().collect();
        if c == '`' {
            in_code = !in_code;
            out.push(c);
        } else if in_code {
            out.push(c);
        } else if c == '\\' && i + 1 < chars.len() {
            out.push(c);
            out.push(chars[i + 1]);
            i += 1;
        } else if rest.starts_with("http://") || rest.starts_with("https://") {
            // Already a link: an autolink, or a Markdown link's target.
            let linked = (i >= 1 && chars[i - 1] == '<')
                || (i >= 2 && chars[i - 1] == '(' && chars[i - 2] == ']');
            let end = chars[i..]
                .iter()
                .position(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`'))
                .map_or(chars.len(), |n| i + n);
            let mut url_end = end;
            while url_end > i && matches!(chars[url_end - 1], '.' | ',' | ';' | ':' | ')' | ']') {
                url_end -= 1;
            }
            let url: String = chars[i..url_end].iter().collect();
            if linked {
                out.push_str(&url);
            } else {
                out.push('<');
                out.push_str(&url);
                out.push('>');
            }
            i = url_end;
            continue;
        } else if c == '[' {
            let link = chars.get(i + 1) == Some(&'`') || markdown_link_at(&chars, i);
            open.push(link);
            out.push_str(if link { "[" } else { "\\[" });
        } else if c == ']' {
            let link = open.pop().unwrap_or(false);
            out.push_str(if link { "]" } else { "\\]" });
        } else if c == '<' && !rest.starts_with("<http") {
            out.push_str("\\<");
        } else {
            out.push(c);
        }
        i += 1;
    }
    out
}

/// Whether the `[` at `at` opens a Markdown link: its matching `]` is followed by `(`.
fn markdown_link_at(chars: &[char], at: usize) -> bool {
    let mut depth = 0usize;
    for (n, c) in chars.iter().enumerate().skip(at) {
        match c {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    return chars.get(n + 1) == Some(&'(');
                }
            }
            _ => {}
        }
    }
    false
}

fn doc_text(attr: &syn::Attribute) -> Option<String> {
    let syn::Meta::NameValue(nv) = &attr.meta else {
        return None;
    };
    if !nv.path.is_ident("doc") {
        return None;
    }
    match &nv.value {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Some(s.value()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;

    /// A generated builder module with one `send()` as progenitor 0.15 writes it, its URL
    /// `url`, its query `query`, and `extra` statements before `exec` (its header map and
    /// hook calls, or what a later progenitor writes instead).
    fn builder(url: syn::Expr, query: syn::Expr, extra: Vec<syn::Stmt>) -> syn::File {
        syn::parse_quote! {
            pub mod builder {
                impl<'a> DoctorsRetrieve<'a> {
                    pub async fn send(self) -> Result<ResponseValue<types::Doctor>, Error<()>> {
                        let Self { client, id, verbose } = self;
                        let url = #url;
                        let mut request = client
                            .client
                            .get(url)
                            .query(#query)
                            .headers(header_map)
                            .build()?;
                        let info = OperationInfo { operation_id: "doctors_retrieve" };
                        #(#extra)*
                        let result = client.exec(request, &info).await;
                        let response = result?;
                        match response.status().as_u16() {
                            200u16 => ResponseValue::from_response(response).await,
                            404u16 => Err(Error::ErrorResponse(
                                ResponseValue::from_response(response).await?,
                            )),
                            _ => Err(Error::UnexpectedResponse(response)),
                        }
                    }
                }
            }
        }
    }

    fn url() -> syn::Expr {
        syn::parse_quote!(format!(
            "{}/api/doctors/{}",
            client.baseurl,
            encode_path(&id.to_string())
        ))
    }

    fn query() -> syn::Expr {
        syn::parse_quote!(&progenitor_client::QueryParam::new("verbose", &verbose))
    }

    /// progenitor 0.15's header map with its `api-version` header, and its two hook calls.
    fn progenitor_015() -> Vec<syn::Stmt> {
        syn::parse_quote! {
            let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
            header_map.append(
                ::reqwest::header::HeaderName::from_static("api-version"),
                ::reqwest::header::HeaderValue::from_static(super::Client::api_version()),
            );
            client.pre(&mut request, &info).await?;
            client.post(&result, &info).await?;
        }
    }

    #[test]
    fn every_rewrite_changes_the_shape_it_was_written_for() {
        let mut file = builder(url(), query(), progenitor_015());
        let rewrites = super::return_runtime_errors(&mut file).expect("rewrites");
        assert_eq!(
            rewrites,
            super::Rewrites {
                sends: 1,
                api_version_headers: 1,
                hook_calls: 2,
                status_matches: 1,
                error_arms: 1,
                query_params: 1,
                path_segments: 1,
                // One in the 200 arm, one in the error arm then taken out.
                response_values: 2,
            }
        );
        let text = file.to_token_stream().to_string();
        for gone in [
            "encode_path",
            "api-version",
            "header_map",
            "client . pre",
            "client . post",
            "ErrorResponse",
            "QueryParam ::",
            "from_response",
        ] {
            assert!(!text.contains(gone), "{gone} left in {text}");
        }
        assert!(
            text.contains("client . baseurl , :: ehr_runtime :: PathSegment (& id)"),
            "{text}"
        );
        assert!(
            text.contains(". query_param (\"verbose\" , & verbose)"),
            "{text}"
        );
    }

    /// The error `return_runtime_errors` gives for `file`, which must name progenitor's
    /// version and `pass`.
    fn fails_naming(mut file: syn::File, pass: &str) -> String {
        let error = super::return_runtime_errors(&mut file).expect_err("must fail loudly");
        assert!(error.contains(pass), "{error}");
        assert!(error.contains("progenitor 0.15"), "{error}");
        error
    }

    #[test]
    fn a_rewrite_that_finds_nothing_it_was_written_for_fails_codegen() {
        // A progenitor that no longer sends `api-version` (or calls it otherwise).
        let mut no_header = progenitor_015();
        no_header.drain(0..2);
        fails_naming(
            builder(url(), query(), no_header),
            "drop_api_version_header",
        );
        // Hooks renamed.
        let mut renamed_hooks = progenitor_015();
        renamed_hooks.truncate(2);
        renamed_hooks.push(syn::parse_quote!(client.before(&mut request, &info).await?;));
        fails_naming(
            builder(url(), query(), renamed_hooks),
            "drop_unreachable_code",
        );
    }

    #[test]
    fn a_rewrite_that_leaves_some_of_its_shape_unchanged_fails_codegen() {
        let other_path = syn::parse_quote!(format!(
            "{}/api/doctors/{}",
            client.baseurl,
            encode_path(id.as_str())
        ));
        let error = fails_naming(
            builder(other_path, query(), progenitor_015()),
            "lighter_calls",
        );
        assert!(error.contains("encode_path"), "{error}");
        let other_query =
            syn::parse_quote!(progenitor_client::QueryParam::new("verbose", &verbose));
        let error = fails_naming(
            builder(url(), other_query, progenitor_015()),
            "lighter_calls",
        );
        assert!(error.contains("QueryParam::new"), "{error}");
    }

    #[test]
    fn the_version_named_is_the_locked_progenitor() {
        assert!(super::progenitor_version().starts_with("0.15."));
    }

    #[test]
    fn vendor_prose_is_made_safe_for_rustdoc_and_links_and_code_are_kept() {
        use super::doc_safe;
        assert_eq!(
            doc_safe(r#"Offset due date, format should follow "[DD] [HH:[MM:]]ss[.uuuuuu]""#),
            r#"Offset due date, format should follow "\[DD\] \[HH:\[MM:\]\]ss\[.uuuuuu\]""#
        );
        assert_eq!(
            doc_safe("See https://app.drchrono.com/api-docs/v4/, or (https://x.example)."),
            "See <https://app.drchrono.com/api-docs/v4/>, or (<https://x.example>)."
        );
        assert_eq!(
            doc_safe("Use <upper> then <https://a.example>"),
            "Use \\<upper> then <https://a.example>"
        );
        assert_eq!(
            doc_safe("Builder for [`Client::doctors_list`]"),
            "Builder for [`Client::doctors_list`]"
        );
        assert_eq!(
            doc_safe("[the docs](https://a.example/x)"),
            "[the docs](https://a.example/x)"
        );
        assert_eq!(doc_safe("`a[0] <b> https://c`"), "`a[0] <b> https://c`");
    }

    #[test]
    fn headers_marked_set_by_facade_leave_every_operation_and_others_stay() {
        let mut spec: openapiv3::OpenAPI = serde_yaml::from_str(
            r#"
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    parameters:
      - {name: X-Path-Level, in: header, x-ehr-set-by-facade: true, schema: {type: string}}
    get:
      operationId: a_get
      parameters:
        - $ref: '#/components/parameters/User'
        - {name: x-kept, in: header, schema: {type: string}}
        - {name: q, in: query, schema: {type: string}}
      responses: {"200": {description: ok}}
  /b:
    post:
      operationId: b_post
      parameters:
        - $ref: '#/components/parameters/User'
      responses: {"200": {description: ok}}
components:
  parameters:
    User: {name: X-Integration-User, in: header, x-ehr-set-by-facade: true, schema: {type: string}}
"#,
        )
        .unwrap();

        let dropped = super::drop_facade_headers(&mut spec);

        assert_eq!(dropped, ["x-integration-user", "x-path-level"]);
        let item = |path: &str| spec.paths.paths[path].as_item().unwrap().clone();
        assert!(item("/a").parameters.is_empty());
        let a = item("/a").get.unwrap().parameters;
        let names: Vec<_> = a
            .iter()
            .map(|p| p.as_item().unwrap().parameter_data_ref().name.clone())
            .collect();
        assert_eq!(names, ["x-kept", "q"]);
        assert!(item("/b").post.unwrap().parameters.is_empty());
        // The spec keeps the parameter documented.
        assert!(spec.components.unwrap().parameters.contains_key("User"));
    }
}
