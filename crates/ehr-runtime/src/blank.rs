//! "" means absent: rewriting empty-string JSON values to `null` before decoding.
//!
//! DrChrono's reference says an optional value with no default "will default to "" or null
//! depending on its type. These cases should be interpreted as an absent value." A `""` where the
//! spec says integer, date or object would fail the decode of a whole page, so vendor crates whose
//! documentation gives that rule decode every JSON response through [`blank_strings_to_null`]:
//! then every optional field decodes as `None` whether the server sent `null` or `""`.

use std::borrow::Cow;

/// Returns `json` with every empty-string **value** (not key) replaced by `null`.
///
/// Works on the bytes, in one pass, without parsing into a tree; returns the input unchanged
/// (borrowed, no copy) when it holds no `""` at all. Invalid JSON comes back unchanged in
/// substance: the decoder then reports the error it would have reported anyway.
///
/// ```
/// use ehr_runtime::blank_strings_to_null;
///
/// let out = blank_strings_to_null(br#"{"dob": "", "": "", "name": "a\"\"b", "ids": ["", 1]}"#);
/// assert_eq!(&*out, br#"{"dob": null, "": null, "name": "a\"\"b", "ids": [null, 1]}"#);
/// ```
pub fn blank_strings_to_null(json: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memmem::find(json, b"\"\"").is_none() {
        return Cow::Borrowed(json);
    }
    let mut out = Vec::with_capacity(json.len() + json.len() / 16);
    let mut i = 0;
    while i < json.len() {
        let b = json[i];
        if b != b'"' {
            out.push(b);
            i += 1;
            continue;
        }
        // A string starts at i.
        if json.get(i + 1) == Some(&b'"') {
            let after = json[i + 2..]
                .iter()
                .find(|c| !c.is_ascii_whitespace())
                .copied();
            if after == Some(b':') {
                out.extend_from_slice(b"\"\"");
            } else {
                out.extend_from_slice(b"null");
            }
            i += 2;
            continue;
        }
        // Copy the whole string, honouring escapes.
        let start = i;
        i += 1;
        while i < json.len() {
            match json[i] {
                b'\\' => i += 2,
                b'"' => {
                    i += 1;
                    break;
                }
                _ => i += 1,
            }
        }
        let end = i.min(json.len());
        out.extend_from_slice(&json[start..end]);
    }
    Cow::Owned(out)
}

/// Applies [`blank_strings_to_null`] to the body of a JSON response (by its `Content-Type`);
/// other responses pass through untouched and unbuffered.
pub async fn blank_strings_to_null_in(
    response: reqwest::Response,
) -> reqwest::Result<reqwest::Response> {
    let is_json = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            let essence = v.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            essence == "application/json" || essence.ends_with("+json")
        })
        .unwrap_or(false);
    if !is_json {
        return Ok(response);
    }
    let status = response.status();
    let version = response.version();
    let mut headers = response.headers().clone();
    let body = response.bytes().await?;
    let body = match blank_strings_to_null(&body) {
        Cow::Borrowed(_) => body,
        Cow::Owned(rewritten) => {
            headers.insert(reqwest::header::CONTENT_LENGTH, rewritten.len().into());
            bytes::Bytes::from(rewritten)
        }
    };
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    Ok(reqwest::Response::from(rebuilt))
}

#[cfg(test)]
mod tests {
    use super::blank_strings_to_null;

    fn run(input: &str) -> String {
        String::from_utf8(blank_strings_to_null(input.as_bytes()).into_owned()).unwrap()
    }

    #[test]
    fn empty_values_become_null_and_keys_stay() {
        assert_eq!(run(r#"{"a":"","b" : "" ,"":1}"#), r#"{"a":null,"b" : null ,"":1}"#);
        assert_eq!(run(r#"["", "x", ""]"#), r#"[null, "x", null]"#);
        assert_eq!(run(r#""""#), "null");
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
