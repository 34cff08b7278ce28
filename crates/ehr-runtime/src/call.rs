//! What the runtime knows about the call a request belongs to.

/// Identifies the generated operation a request was built by.
///
/// Every request that reaches a [`Transport`](crate::Transport) comes with one, so that auth,
/// retries, rate limits, errors and traces can be told which vendor and which operation they are
/// about without looking at the request itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CallInfo {
    /// The vendor crate's short name: `drchrono`, `elation`, `empego` or `healthgorilla`.
    pub vendor: &'static str,
    /// The `operationId` of the operation in the vendor's spec, e.g. `patients_list`.
    pub operation_id: &'static str,
}

/// An operation of a vendor's spec, as traces and metrics name it: each generated crate lists
/// its spec's in `OPERATIONS`, sorted by `operation_id`, and finds one with `operation(id)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Operation {
    /// The `operationId` in the spec.
    pub operation_id: &'static str,
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path template, with `{parameter}` placeholders as in the spec (OpenTelemetry's
    /// `url.template`).
    pub path: &'static str,
}
