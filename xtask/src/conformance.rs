//! `cargo xtask conformance drchrono [--all]`: compares `specs/drchrono.yaml` with an extract of
//! DrChrono's official OpenAPI schema and fails on every difference that is not explained.
//!
//! Inputs, all checked in under `specs/conformance/`:
//! - `drchrono-official.json`: the official schema's facts (operations with their query
//!   parameters and answer, models with their fields' types, optionality, read-only flags and
//!   enum codes), made by `extract_drchrono.py` from the TypeScript client generated from it
//!   untouched (`desmondmorris/node-drchrono`; the commit is in the file);
//! - `drchrono-allow.yaml`: each difference we keep on purpose, with its reason: `rules` for a
//!   kind of difference decided once (a read-only foreign key the official schema types as a
//!   string where the wire sends an integer), `allow` for one difference each.
//!
//! What is compared: every official operation (method and path) must be in the spec; every
//! query parameter of an operation, with its type; every field of the model an official `GET`
//! answers (lists by their `results` items), recursively through nested objects, by shape
//! (string, number, boolean, array of…, object) and, where both sides list enum codes, by codes.
//! A difference that is neither allowed by a rule nor listed fails the check, and so does an
//! `allow` entry that no longer matches anything: the allowlist cannot go stale. Differences not
//! yet decided sit under `pending` (counted and printed apart, never called explained); a
//! pending entry that matches nothing fails too, so fixing the spec shrinks the list.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::process::ExitCode;

use serde_json::Value;

const USAGE: &str = "usage: cargo xtask conformance drchrono [--all] [--root DIR]";

/// Runs the command (see the module documentation).
pub fn run(root: &Path, args: &[String]) -> ExitCode {
    let mut root = root.to_path_buf();
    let mut all = false;
    let mut vendors: Vec<&String> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--all" => all = true,
            "--root" => match args.next() {
                Some(dir) => root = dir.into(),
                None => {
                    eprintln!("{USAGE}");
                    return ExitCode::from(2);
                }
            },
            _ => vendors.push(arg),
        }
    }
    let root = root.as_path();
    if vendors.iter().any(|v| v.as_str() != "drchrono") || vendors.is_empty() {
        eprintln!("{USAGE}\n  (only drchrono has an official schema to compare with)");
        return ExitCode::from(2);
    }
    match check(root, all) {
        Ok(report) => {
            print!("{report}");
            if report.unexplained.is_empty() && report.stale.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("conformance: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What the comparison found.
#[derive(Default)]
pub struct Report {
    operations: Counts,
    queries: Counts,
    fields: Counts,
    shapes: Counts,
    models: usize,
    /// Query parameters of single-object or write operations, not compared.
    queries_skipped: usize,
    /// Differences listed as pending, with their note.
    pending: Vec<(String, String)>,
    /// Fields of ours the official models do not have (informational).
    ours_only: BTreeSet<String>,
    /// Differences nothing explains.
    unexplained: Vec<String>,
    /// `allow` entries that matched nothing.
    stale: Vec<String>,
    /// Every explained difference with its reason (printed with `--all`).
    explained: Vec<(String, String)>,
    all: bool,
}

#[derive(Default)]
struct Counts {
    official: usize,
    present: usize,
    allowed: usize,
    unexplained: usize,
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} official, {} as official, {} departures allowed with a reason, {} unexplained",
            self.official, self.present, self.allowed, self.unexplained
        )
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "specs/drchrono.yaml against DrChrono's official schema")?;
        writeln!(f, "  operations:        {}", self.operations)?;
        writeln!(
            f,
            "  query parameters:  {} (of collection reads; {} repeated on single-object or write \
             operations not compared)",
            self.queries, self.queries_skipped
        )?;
        writeln!(f, "  fields ({} models): {}", self.models, self.fields)?;
        writeln!(f, "  shapes and codes:  {}", self.shapes)?;
        writeln!(
            f,
            "  fields the spec has beyond the official models: {}",
            self.ours_only.len()
        )?;
        if self.all {
            for (difference, reason) in &self.explained {
                writeln!(f, "  allowed: {difference}\n           because {reason}")?;
            }
            for extra in &self.ours_only {
                writeln!(f, "  ours only: {extra}")?;
            }
        }
        if !self.pending.is_empty() {
            writeln!(
                f,
                "  PENDING: {} difference(s) not yet reconciled (listed under `pending` in the \
                 allowlist; issue #30 stays open until there are none)",
                self.pending.len()
            )?;
            if self.all {
                for (difference, note) in &self.pending {
                    writeln!(f, "  pending: {difference} ({note})")?;
                }
            }
        }
        for difference in &self.unexplained {
            writeln!(f, "UNEXPLAINED {difference}")?;
        }
        for entry in &self.stale {
            writeln!(
                f,
                "STALE allow entry (matches no difference; remove it): {entry}"
            )?;
        }
        if self.unexplained.is_empty() && self.stale.is_empty() && self.pending.is_empty() {
            writeln!(f, "conformance: every difference is explained")?;
        } else if self.unexplained.is_empty() && self.stale.is_empty() {
            writeln!(
                f,
                "conformance: no new difference; {} pending",
                self.pending.len()
            )?;
        } else {
            writeln!(
                f,
                "conformance: {} unexplained difference(s), {} stale allow entr(ies): fix the spec \
                 or add each to specs/conformance/drchrono-allow.yaml with its reason",
                self.unexplained.len(),
                self.stale.len()
            )?;
        }
        Ok(())
    }
}

/// A type reduced to what the comparison looks at.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Shape {
    String,
    Number,
    Boolean,
    Array(Box<Shape>),
    Object,
    /// Anything (a union, `any`, a schema without a type): matches every shape.
    Any,
}

impl Shape {
    fn matches(&self, other: &Shape) -> bool {
        match (self, other) {
            (Shape::Any, _) | (_, Shape::Any) => true,
            (Shape::Array(a), Shape::Array(b)) => a.matches(b),
            (a, b) => a == b,
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shape::String => f.write_str("string"),
            Shape::Number => f.write_str("number"),
            Shape::Boolean => f.write_str("boolean"),
            Shape::Array(item) => write!(f, "array of {item}"),
            Shape::Object => f.write_str("object"),
            Shape::Any => f.write_str("any"),
        }
    }
}

/// A difference, as the allowlist names it.
struct Difference {
    /// `operation GET /api/staff`, `field Appointment.created_by`, `type Appointment.icd9_codes`.
    key: String,
    /// What it is, in words, after the key.
    detail: String,
    /// For a type difference: the two shapes and whether the official field is read-only.
    types: Option<(Shape, Shape, bool)>,
    counts: Kind,
}

#[derive(Clone, Copy)]
enum Kind {
    Operation,
    Query,
    Field,
    Shape,
}

/// A rule of the allowlist: a kind of type difference decided once.
struct Rule {
    official: String,
    ours: String,
    read_only: Option<bool>,
    reason: String,
}

impl Rule {
    fn matches(&self, official: &Shape, ours: &Shape, read_only: bool) -> bool {
        self.official == official.to_string()
            && self.ours == ours.to_string()
            && self.read_only.is_none_or(|r| r == read_only)
    }
}

fn check(root: &Path, all: bool) -> Result<Report, String> {
    let dir = root.join("specs/conformance");
    let official: Value = read_json(&dir.join("drchrono-official.json"))?;
    let spec: Value = read_yaml(&root.join("specs/drchrono.yaml"))?;
    let allow: Value = read_yaml(&dir.join("drchrono-allow.yaml"))?;
    let rules = rules(&allow)?;
    let mut entries = listed(&allow, "allow");
    let mut pending = listed(&allow, "pending");
    let spec = Spec::new(&spec);
    let models = official
        .get("models")
        .and_then(Value::as_object)
        .ok_or("the extract has no models")?;

    let mut report = Report {
        all,
        ..Report::default()
    };
    let mut differences: Vec<Difference> = Vec::new();
    let mut compared_models: BTreeSet<String> = BTreeSet::new();
    let operations = official
        .get("operations")
        .and_then(Value::as_array)
        .ok_or("the extract has no operations")?;
    let mut seen_operations = BTreeSet::new();
    for operation in operations {
        let method = operation["method"].as_str().unwrap_or_default();
        let path = operation["path"].as_str().unwrap_or_default();
        let name = format!("{method} {path}");
        if !seen_operations.insert(name.clone()) {
            continue;
        }
        report.operations.official += 1;
        let Some(ours) = spec.operation(method, path) else {
            differences.push(Difference {
                key: format!("operation {name}"),
                detail: "is not in the spec".into(),
                types: None,
                counts: Kind::Operation,
            });
            continue;
        };
        report.operations.present += 1;
        // Query parameters, of the collection reads: the official schema repeats a
        // collection's filters on every operation of the resource (`POST /api/allergies
        // ?patient`, `GET /api/allergies/{id} ?doctor`), where they filter nothing.
        let queries = operation["query"].as_object();
        let collection = method == "GET" && !path.contains('{');
        if !collection {
            report.queries_skipped += queries.map_or(0, |q| q.len());
        }
        let compared = collection.then_some(queries).flatten();
        for (query, qtype) in compared.into_iter().flatten() {
            report.queries.official += 1;
            match spec.query(ours, query) {
                None => differences.push(Difference {
                    key: format!("query {name} ?{query}"),
                    detail: "is not a parameter of the spec's operation".into(),
                    types: None,
                    counts: Kind::Query,
                }),
                Some(schema) => {
                    let theirs = official_shape(qtype);
                    let mine = spec.shape(schema);
                    if theirs.matches(&mine) {
                        report.queries.present += 1;
                    } else {
                        differences.push(Difference {
                            key: format!("query-type {name} ?{query}"),
                            detail: format!("official {theirs}, ours {mine}"),
                            types: Some((theirs, mine, false)),
                            counts: Kind::Query,
                        });
                    }
                }
            }
        }
        // The model a GET answers.
        if method != "GET" {
            continue;
        }
        let Some(answer) = spec.answer(ours) else {
            continue;
        };
        let (model, schema) = match &operation["returns"] {
            Value::Object(r) if r.contains_key("ref") => (r["ref"].as_str(), Some(answer)),
            Value::Object(r) if r.contains_key("object") => {
                let items = r["object"]
                    .get("data")
                    .and_then(|d| d["type"].get("array"))
                    .and_then(|a| a.get("ref"))
                    .and_then(Value::as_str);
                let results = spec
                    .properties(answer)
                    .get("results")
                    .and_then(|r| spec.resolve(r).get("items"));
                (items, results)
            }
            _ => (None, None),
        };
        let (Some(model), Some(schema)) = (model, schema) else {
            continue;
        };
        if !compared_models.insert(model.to_string()) {
            continue;
        }
        let Some(fields) = models.get(model) else {
            continue;
        };
        compare_object(
            &spec,
            models,
            model,
            fields,
            schema,
            0,
            &mut report,
            &mut differences,
        );
    }
    report.models = compared_models.len();

    for difference in differences {
        let counts = match difference.counts {
            Kind::Operation => &mut report.operations,
            Kind::Query => &mut report.queries,
            Kind::Field => &mut report.fields,
            Kind::Shape => &mut report.shapes,
        };
        let printed = format!("{}: {}", difference.key, difference.detail);
        if let Some((reason, used)) = entries.get_mut(&difference.key) {
            *used = true;
            counts.allowed += 1;
            report.explained.push((printed, reason.clone()));
            continue;
        }
        if let Some((theirs, mine, read_only)) = &difference.types
            && let Some(rule) = rules.iter().find(|r| r.matches(theirs, mine, *read_only))
        {
            counts.allowed += 1;
            report.explained.push((printed, rule.reason.clone()));
            continue;
        }
        if let Some((note, used)) = pending.get_mut(&difference.key) {
            *used = true;
            report.pending.push((printed, note.clone()));
            continue;
        }
        counts.unexplained += 1;
        report.unexplained.push(printed);
    }
    report.stale = entries
        .into_iter()
        .chain(pending)
        .filter(|(_, (_, used))| !used)
        .map(|(key, _)| key)
        .collect();
    Ok(report)
}

/// Compares an official model (`fields`, named `at`) with one of our schemas, field by field.
#[allow(clippy::too_many_arguments)]
fn compare_object(
    spec: &Spec<'_>,
    models: &serde_json::Map<String, Value>,
    at: &str,
    fields: &Value,
    schema: &Value,
    depth: usize,
    report: &mut Report,
    differences: &mut Vec<Difference>,
) {
    let ours = spec.properties(schema);
    let Some(fields) = fields.as_object() else {
        return;
    };
    for (name, field) in fields {
        let key = format!("{at}.{name}");
        if depth == 0 {
            report.fields.official += 1;
        }
        let Some(mine) = ours.get(name) else {
            if depth == 0 {
                differences.push(Difference {
                    key: format!("field {key}"),
                    detail: "is not in the spec's model".into(),
                    types: None,
                    counts: Kind::Field,
                });
            } else {
                differences.push(Difference {
                    key: format!("field {key}"),
                    detail: "is not in the spec's nested object".into(),
                    types: None,
                    counts: Kind::Shape,
                });
            }
            continue;
        };
        if depth == 0 {
            report.fields.present += 1;
        }
        report.shapes.official += 1;
        let ftype = &field["type"];
        let read_only = field["read_only"].as_bool().unwrap_or(false);
        let theirs = official_shape(ftype);
        let our_shape = spec.shape(mine);
        if !theirs.matches(&our_shape) {
            differences.push(Difference {
                key: format!("type {key}"),
                detail: format!(
                    "official {theirs}{}, ours {our_shape}",
                    if read_only { " (read-only)" } else { "" }
                ),
                types: Some((theirs, our_shape, read_only)),
                counts: Kind::Shape,
            });
            continue;
        }
        // Enum codes, where both sides list them.
        if let (Some(codes), Some(ours_codes)) = (official_enum(ftype), spec.enum_codes(mine))
            && codes != ours_codes
        {
            differences.push(Difference {
                key: format!("enum {key}"),
                detail: format!(
                    "official {}, ours {}",
                    codes.iter().cloned().collect::<Vec<_>>().join("|"),
                    ours_codes.iter().cloned().collect::<Vec<_>>().join("|")
                ),
                types: None,
                counts: Kind::Shape,
            });
            continue;
        }
        report.shapes.present += 1;
        // Nested objects (inline or a model of their own), a few levels deep.
        if depth < 3 {
            let (nested, mine) = match (ftype, spec.resolve(mine)) {
                (Value::Object(t), m) if t.contains_key("array") => {
                    (t["array"].clone(), m.get("items").unwrap_or(&Value::Null))
                }
                (t, m) => (t.clone(), m),
            };
            let nested_fields = match &nested {
                Value::Object(t) if t.contains_key("object") => Some(t["object"].clone()),
                Value::Object(t) if t.contains_key("ref") => {
                    t["ref"].as_str().and_then(|r| models.get(r)).cloned()
                }
                _ => None,
            };
            if let Some(nested_fields) = nested_fields
                && !spec.properties(mine).is_empty()
            {
                let inner = if ftype.get("array").is_some() {
                    format!("{key}[]")
                } else {
                    key.clone()
                };
                compare_object(
                    spec,
                    models,
                    &inner,
                    &nested_fields,
                    mine,
                    depth + 1,
                    report,
                    differences,
                );
            }
        }
    }
    if depth == 0 {
        for name in ours.keys() {
            if !fields.contains_key(name.as_str()) {
                report.ours_only.insert(format!("{at}.{name}"));
            }
        }
    }
}

/// The shape of an official type.
fn official_shape(t: &Value) -> Shape {
    match t {
        Value::String(s) => match s.as_str() {
            "string" => Shape::String,
            "number" => Shape::Number,
            "boolean" => Shape::Boolean,
            _ => Shape::Any,
        },
        Value::Object(o) if o.contains_key("enum") => Shape::String,
        Value::Object(o) if o.contains_key("array") => {
            Shape::Array(Box::new(official_shape(&o["array"])))
        }
        Value::Object(o) if o.contains_key("object") || o.contains_key("ref") => Shape::Object,
        Value::Object(o) if o.contains_key("map") => Shape::Object,
        _ => Shape::Any,
    }
}

/// The enum codes of an official type, if it lists them.
fn official_enum(t: &Value) -> Option<BTreeSet<String>> {
    t.get("enum")?.as_array().map(|codes| {
        codes
            .iter()
            .filter_map(|c| c.as_str().map(str::to_string))
            .filter(|c| !c.is_empty())
            .collect()
    })
}

/// Our spec, with `$ref`s resolved on demand.
struct Spec<'a> {
    doc: &'a Value,
    operations: BTreeMap<(String, String), &'a Value>,
}

impl<'a> Spec<'a> {
    fn new(doc: &'a Value) -> Self {
        let mut operations = BTreeMap::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, operation) in item.as_object().into_iter().flatten() {
                if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                    operations.insert(
                        (
                            method.to_ascii_uppercase(),
                            path.trim_end_matches('/').to_string(),
                        ),
                        operation,
                    );
                }
            }
        }
        Self { doc, operations }
    }

    fn operation(&self, method: &str, path: &str) -> Option<&'a Value> {
        self.operations
            .get(&(method.to_string(), path.trim_end_matches('/').to_string()))
            .copied()
    }

    fn query(&self, operation: &'a Value, name: &str) -> Option<&'a Value> {
        operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| self.resolve(p))
            .find(|p| p["in"] == "query" && p["name"] == name)
            .map(|p| &p["schema"])
    }

    /// The schema of an operation's 200 JSON answer.
    fn answer(&self, operation: &'a Value) -> Option<&'a Value> {
        let response = self.resolve(operation["responses"].get("200")?);
        response["content"]
            .as_object()?
            .iter()
            .find(|(media, _)| media.contains("json"))
            .map(|(_, c)| &c["schema"])
    }

    fn resolve(&self, mut schema: &'a Value) -> &'a Value {
        for _ in 0..32 {
            let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
                return schema;
            };
            let mut target = self.doc;
            for part in reference.trim_start_matches("#/").split('/') {
                target = &target[part];
            }
            schema = target;
        }
        schema
    }

    /// The properties of an object schema, through `allOf`.
    fn properties(&self, schema: &'a Value) -> BTreeMap<String, &'a Value> {
        let schema = self.resolve(schema);
        let mut out = BTreeMap::new();
        for part in schema["allOf"].as_array().into_iter().flatten() {
            out.extend(self.properties(part));
        }
        for (name, property) in schema["properties"].as_object().into_iter().flatten() {
            out.insert(name.clone(), property);
        }
        out
    }

    fn shape(&self, schema: &'a Value) -> Shape {
        let schema = self.resolve(schema);
        if let Some([only]) = schema["allOf"].as_array().map(Vec::as_slice) {
            return self.shape(only);
        }
        // An open enum (`oneOf: [known codes, any string]`) or another union of one shape.
        if let Some(arms) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
            let shapes: Vec<Shape> = arms.iter().map(|arm| self.shape(arm)).collect();
            return match shapes.split_first() {
                Some((first, rest)) if rest.iter().all(|s| s == first) => first.clone(),
                _ => Shape::Any,
            };
        }
        match schema["type"].as_str() {
            Some("string") => Shape::String,
            Some("integer" | "number") => Shape::Number,
            Some("boolean") => Shape::Boolean,
            Some("array") => Shape::Array(Box::new(self.shape(&schema["items"]))),
            Some("object") => Shape::Object,
            _ if schema.get("properties").is_some() || schema.get("allOf").is_some() => {
                Shape::Object
            }
            _ if schema.get("enum").is_some() => Shape::String,
            _ => Shape::Any,
        }
    }

    fn enum_codes(&self, schema: &'a Value) -> Option<BTreeSet<String>> {
        let schema = self.resolve(schema);
        let schema = match schema["allOf"].as_array().map(Vec::as_slice) {
            Some([only]) => self.resolve(only),
            _ => schema,
        };
        if let Some(arms) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
            let codes: BTreeSet<String> = arms
                .iter()
                .filter_map(|arm| self.enum_codes(arm))
                .flatten()
                .collect();
            return (!codes.is_empty()).then_some(codes);
        }
        schema["enum"].as_array().map(|codes| {
            codes
                .iter()
                .filter_map(|c| c.as_str().map(str::to_string))
                .filter(|c| !c.is_empty())
                .collect()
        })
    }
}

fn rules(allow: &Value) -> Result<Vec<Rule>, String> {
    allow["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|rule| {
            let text = |k: &str| {
                rule[k]
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("an allowlist rule has no `{k}`: {rule}"))
            };
            Ok(Rule {
                official: text("official")?,
                ours: text("ours")?,
                read_only: rule["read_only"].as_bool(),
                reason: text("reason")?,
            })
        })
        .collect()
}

/// The entries of an allowlist section (`allow`, `pending`): difference → (reason, matched yet).
fn listed(allow: &Value, section: &str) -> BTreeMap<String, (String, bool)> {
    allow
        .get(section)
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            (
                k.clone(),
                (v.as_str().unwrap_or_default().to_string(), false),
            )
        })
        .collect()
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_yaml(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_yaml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}
