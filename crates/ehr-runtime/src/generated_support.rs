//! Helpers generated code calls in place of progenitor's, with the same results and less work
//! per call (`cargo xtask codegen` writes the calls).

use progenitor_client::{Error, QueryParam, ResponseValue};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Query parameters as progenitor's generated code adds them, for less work a call.
pub trait QueryParamExt {
    /// Adds query parameter `name` = `value` as progenitor's generated code does
    /// (`.query(&QueryParam::new(name, value))`), except that an absent optional parameter
    /// (`None`) leaves the request untouched: reqwest would otherwise open and re-close the
    /// URL's query to add nothing, for every absent parameter of every call.
    ///
    /// ```
    /// use ehr_runtime::QueryParamExt as _;
    ///
    /// let client = ehr_runtime::default_http_client();
    /// let request = client
    ///     .get("https://api.example/things")
    ///     .query_param("verbose", &None::<bool>)
    ///     .query_param("page_size", &Some(50))
    ///     .query_param("doctor", &5)
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(request.url().query(), Some("page_size=50&doctor=5"));
    /// ```
    fn query_param<T: Serialize>(self, name: &str, value: &T) -> Self;
}

impl QueryParamExt for reqwest::RequestBuilder {
    fn query_param<T: Serialize>(self, name: &str, value: &T) -> Self {
        if value.serialize(Absent).is_ok() {
            return self;
        }
        self.query(&QueryParam::new(name, value))
    }
}

/// One path parameter, percent-encoded as progenitor's `encode_path(&value.to_string())`
/// encodes it (the same characters), written straight into the URL being formatted: no
/// `String` for the value, none for its encoding. Generated code writes
/// `format!("{}/api/doctors/{}", baseurl, PathSegment(&id))`.
///
/// ```
/// use ehr_runtime::PathSegment;
///
/// assert_eq!(format!("/api/doctors/{}", PathSegment(&42)), "/api/doctors/42");
/// assert_eq!(PathSegment("a b/c?d%").to_string(), "a%20b%2Fc%3Fd%25");
/// assert_eq!(PathSegment("café").to_string(), "caf%C3%A9");
/// ```
pub struct PathSegment<'a, T: ?Sized>(pub &'a T);

/// The characters progenitor 0.15's `encode_path` encodes.
const PATH_SET: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%');

impl<T: std::fmt::Display + ?Sized> std::fmt::Display for PathSegment<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        /// Encodes what the value writes on its way to the formatter.
        struct Encoding<'a, 'b>(&'a mut std::fmt::Formatter<'b>);
        impl std::fmt::Write for Encoding<'_, '_> {
            fn write_str(&mut self, s: &str) -> std::fmt::Result {
                percent_encoding::utf8_percent_encode(s, PATH_SET)
                    .try_for_each(|chunk| self.0.write_str(chunk))
            }
        }
        std::fmt::write(&mut Encoding(f), format_args!("{}", self.0))
    }
}

/// Decodes a JSON response to `operation` into a [`ResponseValue`], as progenitor's
/// `ResponseValue::from_response` does, moving the response's headers into the value instead of
/// copying them, and with the runtime's [`Decoding`](crate::decode::Decoding): an optional field
/// whose value does not decode is left out with a warning, unless strict (see
/// [`decode`](crate::decode)).
pub async fn response_value<T: DeserializeOwned, E>(
    mut response: reqwest::Response,
    runtime: &crate::Runtime,
    operation: &str,
) -> Result<ResponseValue<T>, Error<E>> {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let full = response.bytes().await.map_err(Error::ResponseBodyError)?;
    let inner = crate::decode::response_body(&full, runtime.decoding(), operation)
        .map_err(|e| Error::InvalidResponsePayload(full, e))?;
    Ok(ResponseValue::new(inner, status, headers))
}

/// A serializer that succeeds only for `None`: `value.serialize(Absent).is_ok()` tells whether
/// a query value would add nothing, without serializing anything else.
struct Absent;

/// Anything but `None`.
#[derive(Debug)]
struct Present;

impl std::fmt::Display for Present {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("present")
    }
}

impl std::error::Error for Present {}

impl serde::ser::Error for Present {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Present
    }
}

macro_rules! present {
    ($($method:ident($($arg:ty),*);)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<(), Present> { Err(Present) })*
    };
}

impl serde::Serializer for Absent {
    type Ok = ();
    type Error = Present;
    type SerializeSeq = serde::ser::Impossible<(), Present>;
    type SerializeTuple = serde::ser::Impossible<(), Present>;
    type SerializeTupleStruct = serde::ser::Impossible<(), Present>;
    type SerializeTupleVariant = serde::ser::Impossible<(), Present>;
    type SerializeMap = serde::ser::Impossible<(), Present>;
    type SerializeStruct = serde::ser::Impossible<(), Present>;
    type SerializeStructVariant = serde::ser::Impossible<(), Present>;

    fn serialize_none(self) -> Result<(), Present> {
        Ok(())
    }

    present! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_char(char);
        serialize_str(&str);
        serialize_bytes(&[u8]);
        serialize_unit();
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Present> {
        Err(Present)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<(), Present> {
        Err(Present)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Present> {
        Err(Present)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Present> {
        Err(Present)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Present> {
        Err(Present)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Present> {
        Err(Present)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Present> {
        Err(Present)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Present> {
        Err(Present)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Present> {
        Err(Present)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Present> {
        Err(Present)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url_after(f: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder) -> String {
        let client = crate::default_http_client();
        f(client.get("https://api.example/things?fixed=1"))
            .build()
            .unwrap()
            .url()
            .to_string()
    }

    #[test]
    fn an_absent_parameter_leaves_the_url_as_progenitor_would() {
        let ours = url_after(|r| r.query_param("verbose", &None::<bool>));
        let theirs = url_after(|r| r.query(&QueryParam::new("verbose", &None::<bool>)));
        assert_eq!(ours, theirs);
        assert_eq!(ours, "https://api.example/things?fixed=1");
    }

    #[test]
    fn present_parameters_are_written_as_progenitor_writes_them() {
        let list = vec!["a b".to_string(), "c&d".to_string()];
        let ours = url_after(|r| {
            r.query_param("ids", &list)
                .query_param("since", &Some("2024-01-01T00:00:00Z"))
                .query_param("empty", &Vec::<i64>::new())
        });
        let theirs = url_after(|r| {
            r.query(&QueryParam::new("ids", &list))
                .query(&QueryParam::new("since", &Some("2024-01-01T00:00:00Z")))
                .query(&QueryParam::new("empty", &Vec::<i64>::new()))
        });
        assert_eq!(ours, theirs);
        assert!(ours.contains("ids=a+b&ids=c%26d"), "{ours}");
    }

    #[tokio::test]
    async fn a_decoded_response_keeps_status_and_headers() {
        let response: reqwest::Response = http::Response::builder()
            .status(201)
            .header("x-request-id", "abc")
            .body(r#"{"id":7}"#)
            .unwrap()
            .into();
        let value: ResponseValue<serde_json::Value> =
            response_value::<_, ()>(response, &crate::Runtime::direct(), "op")
                .await
                .unwrap();
        assert_eq!(value.status(), 201);
        assert_eq!(value.headers()["x-request-id"], "abc");
        assert_eq!(value.into_inner()["id"], 7);
    }

    #[tokio::test]
    async fn an_undecodable_response_keeps_its_body_in_the_error() {
        let response: reqwest::Response = http::Response::new("not json").into();
        let error =
            response_value::<serde_json::Value, ()>(response, &crate::Runtime::direct(), "op")
                .await
                .unwrap_err();
        match error {
            Error::InvalidResponsePayload(body, _) => assert_eq!(&body[..], b"not json"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_path_segment_encodes_as_progenitors_encode_path() {
        let texts = [
            "42",
            "-7",
            "abc",
            "a b",
            "a/b",
            "a?b#c",
            "100%",
            "{x}",
            "<>\"`",
            "café",
            "tab\there",
            "\u{7f}",
            "x-y_z.~",
            "ümlaut/ß",
            "",
        ];
        for text in texts {
            assert_eq!(
                super::PathSegment(text).to_string(),
                progenitor_client::encode_path(text),
                "{text:?}"
            );
        }
        assert_eq!(super::PathSegment(&-3_i64).to_string(), "-3");
    }
}
