//! The end of a call's loop: the final response with the attempts made before it and, when it
//! is a refusal, what the request carried (so the vendor's text is scrubbed of it), classified
//! by the vendor's guard.

use ehr_runtime::error::{SentCredentials, SentValues};
use ehr_runtime::{CallInfo, Resend, RetryHistory};
use reqwest::Response;
use reqwest::header::HeaderValue;

use super::FacadeTransport;
use crate::retry::Attempt;

impl FacadeTransport {
    /// The final response: as it is when it is a success; otherwise, when the vendor has a
    /// [`CallGuard`](super::CallGuard), read here, classified, and made
    /// [`Error::Refused`](crate::Error::Refused) when the guard recognises a documented
    /// [`refusal`](super::CallGuard::refusal) in it, then carried as the call's error.
    ///
    /// Only a failure with a guard awaits anything (the body), in a future of its own, so the
    /// pipeline's future stays small for every successful call.
    pub(super) async fn conclude(
        &self,
        call: CallInfo,
        response: Response,
        history: Vec<Attempt>,
        authorization: Option<&HeaderValue>,
        sent: Option<&Resend>,
    ) -> Response {
        let response = self.annotate(response, history, authorization, sent);
        match &self.guard {
            Some(guard) if !response.status().is_success() => {
                let error =
                    Box::pin(crate::Error::from_response(call.operation_id, response)).await;
                let code = error
                    .vendor()
                    .and_then(|answer| guard.refusal(answer.status(), answer.body()));
                let error = match code {
                    Some(code) => match error.into_vendor() {
                        Ok(answer) => crate::Error::Refused { code, answer },
                        Err(error) => error,
                    },
                    None => error,
                };
                ehr_runtime::carry(error)
            }
            _ => response,
        }
    }

    /// The final response, with the attempts made before it and, when it is a refusal, what
    /// the request carried, so that the vendor's text is scrubbed of it: the credentials
    /// ([`SentCredentials`]) and every value of `sent` (the request as the caller built it:
    /// query, path, headers, body) and of the headers the pipeline added ([`SentValues`]).
    fn annotate(
        &self,
        mut response: Response,
        history: Vec<Attempt>,
        authorization: Option<&HeaderValue>,
        sent: Option<&Resend>,
    ) -> Response {
        if !history.is_empty() {
            response.extensions_mut().insert(RetryHistory(history));
        }
        if response.status().is_success() {
            return response;
        }
        let credentials =
            self.sent_credentials(authorization, sent.into_iter().flat_map(Resend::headers));
        if !credentials.is_empty() {
            response
                .extensions_mut()
                .insert(SentCredentials(credentials.into()));
        }
        let added = SentValues::of_header_values(
            self.headers
                .iter()
                .filter(|(n, _)| !sent.is_some_and(|s| s.headers().any(|(m, _)| m == n)))
                .filter_map(|(_, v)| v.to_str().ok()),
        );
        let values = match sent {
            Some(sent) => sent.sent_values().and(&added),
            None => added,
        };
        if !values.is_empty() {
            response.extensions_mut().insert(values);
        }
        response
    }
}
