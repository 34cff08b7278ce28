//! One operation's command line turned into a call, and its answer into output: what the
//! generated `execute` functions use.

use std::io::{IsTerminal, Read};

use clap::ArgMatches;
use ehr_runtime::pagination::{ListRequest, Page};
use ehr_sdk::pagination::Paginate;
use futures::StreamExt;
use progenitor_client::{ByteStream, ResponseValue};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::failure::Failure;
use crate::output::Output;

/// An operation running: its call and the writing of its answer.
pub type Running<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), Failure>> + 'a>>;

/// The flags of one operation's command and where its answer goes.
pub struct Call<'a> {
    matches: &'a ArgMatches,
    out: &'a mut Output,
}

impl<'a> Call<'a> {
    /// A call of the operation whose command matched `matches`.
    pub fn new(matches: &'a ArgMatches, out: &'a mut Output) -> Self {
        Self { matches, out }
    }

    /// The value of flag `--name`, parsed as the operation's own type, if given.
    pub fn flag<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, Failure> {
        let Ok(Some(raw)) = self.matches.try_get_one::<String>(name) else {
            return Ok(None);
        };
        parse_value(raw)
            .map(Some)
            .map_err(|e| Failure::usage(format!("invalid value '{raw}' for '--{name}': {e}")))
    }

    /// The value of required flag `--name`.
    pub fn required<T: DeserializeOwned>(&self, name: &str) -> Result<T, Failure> {
        self.flag(name)?
            .ok_or_else(|| Failure::usage(format!("the flag '--{name}' is required")))
    }

    /// The request body from `--body` (a file, or `-` for standard input), decoded strictly
    /// as the operation's body type: a field of the wrong type, or a missing required one,
    /// fails here, before anything is sent.
    pub fn body<T: DeserializeOwned>(&self) -> Result<T, Failure> {
        self.optional_body()?
            .ok_or_else(|| Failure::usage("the flag '--body' is required"))
    }

    /// The request body, if `--body` was given.
    pub fn optional_body<T: DeserializeOwned>(&self) -> Result<Option<T>, Failure> {
        let Ok(Some(source)) = self.matches.try_get_one::<String>("body") else {
            return Ok(None);
        };
        let bytes = if source == "-" {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| Failure::usage(format!("cannot read the body from stdin: {e}")))?;
            bytes
        } else {
            std::fs::read(source)
                .map_err(|e| Failure::usage(format!("cannot read the body file {source}: {e}")))?
        };
        let (body, _) =
            ehr_runtime::decode::from_slice::<T>(&bytes, ehr_runtime::decode::Decoding::Strict)
                .map_err(|e| {
                    let failure = ehr_runtime::error::DecodeFailure::new(&bytes, &e);
                    Failure::usage(format!("the body does not fit the operation: {failure}"))
                })?;
        Ok(Some(body))
    }

    /// Writes a JSON answer.
    pub fn json<T: Serialize>(
        &mut self,
        answer: Result<ResponseValue<T>, ehr_sdk::Error>,
    ) -> Result<(), Failure> {
        let value = to_value(&answer?.into_inner())?;
        self.out.one(&value)
    }

    /// An answer without a body: nothing to write.
    pub fn empty(
        &mut self,
        answer: Result<ResponseValue<()>, ehr_sdk::Error>,
    ) -> Result<(), Failure> {
        answer?;
        Ok(())
    }

    /// Writes a document the vendor sends as it is (bytes, streamed).
    pub async fn bytes(
        &mut self,
        answer: Result<ResponseValue<ByteStream>, ehr_sdk::Error>,
    ) -> Result<(), Failure> {
        let mut stream = answer?.into_inner();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| Failure::Other(format!("the answer broke off: {e}")))?;
            self.out.raw(&chunk)?;
        }
        self.out.flush()
    }

    /// Writes a list: its first page's records, or with `--all`, `--limit` or `--max-pages`
    /// the records of every page (as far as asked), each page written as it arrives, with a
    /// progress line on standard error when that is a terminal.
    pub async fn list<'r, R>(&mut self, request: R) -> Result<(), Failure>
    where
        R: ListRequest<'r>,
        <R::Page as Page>::Item: Serialize,
    {
        let all = self.matches.get_flag("all");
        let limit = self.matches.get_one::<u64>("limit").copied();
        let max_pages = self.matches.get_one::<u64>("max-pages").copied();
        let max_pages = match (all, limit, max_pages) {
            (_, _, Some(max)) => max,
            (true, _, None) | (_, Some(_), None) => u64::MAX,
            (false, None, None) => 1,
        };
        let progress = std::io::stderr().is_terminal();
        let mut pages = request.pages();
        let mut fetched = 0u64;
        self.out.start_list()?;
        let mut result = Ok(());
        'pages: while fetched < max_pages {
            let Some(page) = pages.next().await else {
                break;
            };
            let page = match page {
                Ok(page) => page,
                Err(error) => {
                    result = Err(Failure::Api(error));
                    break;
                }
            };
            fetched += 1;
            for item in page.into_items() {
                if limit.is_some_and(|l| self.out.records() >= l) {
                    break 'pages;
                }
                self.out.record(&to_value(&item)?)?;
            }
            self.out.flush()?;
            if progress {
                say_inline!("\r{} records, {fetched} pages", self.out.records());
            }
            if limit.is_some_and(|l| self.out.records() >= l) {
                break;
            }
        }
        if progress {
            say_inline!("\r\x1b[2K");
        }
        self.out.end_list()?;
        result
    }
}

fn to_value<T: Serialize>(value: &T) -> Result<serde_json::Value, Failure> {
    serde_json::to_value(value).map_err(|e| Failure::Other(format!("cannot print the answer: {e}")))
}

/// A flag's text as a value of `T`: as a JSON string (text, dates, enums), else as JSON
/// (numbers, booleans, arrays, objects), else as a comma-separated list.
fn parse_value<T: DeserializeOwned>(raw: &str) -> Result<T, String> {
    use serde_json::Value;
    let as_string = serde_json::from_value::<T>(Value::String(raw.to_string()));
    let as_string_error = match as_string {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    if let Ok(value) = serde_json::from_str::<T>(raw) {
        return Ok(value);
    }
    if raw.contains(',') {
        let items: Vec<Value> = raw
            .split(',')
            .map(|item| {
                serde_json::from_str::<Value>(item.trim())
                    .unwrap_or_else(|_| Value::String(item.trim().to_string()))
            })
            .collect();
        if let Ok(value) = serde_json::from_value::<T>(Value::Array(items)) {
            return Ok(value);
        }
    }
    Err(as_string_error.to_string())
}

#[cfg(test)]
mod tests {
    use super::parse_value;

    #[test]
    fn flag_values_parse_as_their_operations_types() {
        assert_eq!(parse_value::<i64>("5"), Ok(5));
        assert_eq!(parse_value::<String>("5"), Ok("5".to_string()));
        assert_eq!(parse_value::<bool>("true"), Ok(true));
        assert_eq!(
            parse_value::<chrono::NaiveDate>("2024-05-06"),
            Ok(chrono::NaiveDate::from_ymd_opt(2024, 5, 6).unwrap())
        );
        assert_eq!(parse_value::<Vec<i64>>("1,2,3"), Ok(vec![1, 2, 3]));
        assert_eq!(
            parse_value::<Vec<String>>("a,b"),
            Ok(vec!["a".to_string(), "b".to_string()])
        );
        assert!(parse_value::<i64>("five").is_err());
        assert!(parse_value::<std::num::NonZeroU64>("0").is_err());
        assert!(parse_value::<chrono::NaiveDate>("2024-13-01").is_err());
    }
}
