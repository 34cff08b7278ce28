//! "" means absent: rewriting empty-string JSON values to `null` before decoding.
//!
//! DrChrono's reference says an optional value with no default "will default to "" or null
//! depending on its type. These cases should be interpreted as an absent value." A `""` where the
//! spec says integer, date or object would fail the decode of a whole page, so vendor crates whose
//! documentation gives that rule decode every JSON response through [`blank_strings_to_null`]:
//! then every optional field decodes as `None` whether the server sent `null` or `""`.

use std::borrow::Cow;

/// Returns `json` with every empty-string **member value** of an object replaced by `null`.
///
/// Keys and array elements are left alone: `""` inside an array is an element, not an absent
/// value (`"modifiers": ["25", ""]`).
///
/// Works on the bytes, in one pass, without parsing into a tree; returns the input unchanged
/// (borrowed, no copy) when it holds no `""` at all. Invalid JSON comes back unchanged in
/// substance: the decoder then reports the error it would have reported anyway.
///
/// ```
/// use ehr_runtime::blank_strings_to_null;
///
/// let out = blank_strings_to_null(br#"{"dob": "", "": "", "name": "a\"\"b", "tags": ["", "x"]}"#);
/// assert_eq!(&*out, br#"{"dob": null, "": null, "name": "a\"\"b", "tags": ["", "x"]}"#);
/// ```
pub fn blank_strings_to_null(json: &[u8]) -> Cow<'_, [u8]> {
    // In valid JSON an unescaped `""` is always an empty string token (a quote inside a string
    // is escaped, and two strings are never adjacent). It is a member value exactly when the
    // token before it is `:`; after `[` or `,` it is an array element or, when `:` follows, a
    // key. So only the neighbours of each `""` need looking at, and the bytes between
    // occurrences are copied in bulk.
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    for at in memchr::memmem::find_iter(json, b"\"\"") {
        let escapes = json[..at].iter().rev().take_while(|&&b| b == b'\\').count();
        if escapes % 2 == 1 {
            continue; // `\""`: an escaped quote, then a closing one.
        }
        let before = json[..at].iter().rev().find(|b| !b.is_ascii_whitespace());
        if before != Some(&b':') {
            continue;
        }
        let out = out.get_or_insert_with(|| Vec::with_capacity(json.len() + json.len() / 32));
        out.extend_from_slice(&json[copied..at]);
        out.extend_from_slice(b"null");
        copied = at + 2;
    }
    match out {
        None => Cow::Borrowed(json),
        Some(mut out) => {
            out.extend_from_slice(&json[copied..]);
            Cow::Owned(out)
        }
    }
}

/// Applies [`blank_strings_to_null`] to the body of a successful JSON response: one whose
/// `Content-Type` is JSON, or that has no `Content-Type` and a body starting with `{` or `[`.
/// Responses of any other type or status pass through untouched and unbuffered.
pub async fn blank_strings_to_null_in(
    response: reqwest::Response,
) -> reqwest::Result<reqwest::Response> {
    if !response.status().is_success() {
        return Ok(response);
    }
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("").to_ascii_lowercase());
    let maybe_json = match content_type.as_deref() {
        None => true,
        Some(v) => {
            let essence = v.split(';').next().unwrap_or("").trim();
            essence == "application/json" || essence.ends_with("+json")
        }
    };
    if !maybe_json {
        return Ok(response);
    }
    // Take the response apart instead of copying its headers and extensions.
    let (mut parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
    let body = http_body_util::BodyExt::collect(body).await?.to_bytes();
    let looks_like_json = content_type.is_some()
        || matches!(
            body.iter().find(|b| !b.is_ascii_whitespace()),
            Some(b'{' | b'[')
        );
    let rewritten = if looks_like_json {
        blank_strings_to_null(&body)
    } else {
        Cow::Borrowed(&body[..])
    };
    let body = match rewritten {
        Cow::Borrowed(_) => body,
        Cow::Owned(rewritten) => {
            parts
                .headers
                .insert(reqwest::header::CONTENT_LENGTH, rewritten.len().into());
            bytes::Bytes::from(rewritten)
        }
    };
    Ok(reqwest::Response::from(http::Response::from_parts(
        parts, body,
    )))
}

#[cfg(test)]
mod tests {
    use super::blank_strings_to_null;

    fn run(input: &str) -> String {
        String::from_utf8(blank_strings_to_null(input.as_bytes()).into_owned()).unwrap()
    }

    #[test]
    fn empty_values_become_null_and_keys_stay() {
        assert_eq!(
            run(r#"{"a":"","b" : "" ,"":1}"#),
            r#"{"a":null,"b" : null ,"":1}"#
        );
        assert_eq!(
            run(r#"[{"a":{"b":""},"c":[{"d":""}]},{"e":""}]"#),
            r#"[{"a":{"b":null},"c":[{"d":null}]},{"e":null}]"#
        );
    }

    #[test]
    fn array_elements_and_top_level_strings_stay_strings() {
        assert_eq!(run(r#"["", "x", ""]"#), r#"["", "x", ""]"#);
        assert_eq!(
            run(r#"{"m":["25","",""],"n":""}"#),
            r#"{"m":["25","",""],"n":null}"#
        );
        assert_eq!(run(r#""""#), r#""""#);
    }

    #[test]
    fn strings_holding_quotes_or_escapes_are_untouched() {
        let input = r#"{"a":"say \"\" twice","b":"\\","c":""}"#;
        assert_eq!(run(input), r#"{"a":"say \"\" twice","b":"\\","c":null}"#);
    }

    #[test]
    fn input_without_empty_strings_is_borrowed() {
        let input = br#"{"a":"b","n":null}"#;
        assert!(matches!(
            blank_strings_to_null(input),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn truncated_input_does_not_panic() {
        for input in [r#"{"a":"#, r#"{"a":"\"#, r#"""#, r#"["", "#, r#""\"#] {
            let _ = run(input);
        }
    }
}
