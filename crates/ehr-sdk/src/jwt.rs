//! HS256 JSON Web Tokens (RFC 7519 in the compact serialization of RFC 7515): signing the
//! JWT-bearer assertions of [`crate::auth::JwtBearer`] and verifying DrChrono's iframe launches.
//!
//! HS256 is the only algorithm either vendor uses, so it is the only one here: a token whose
//! header names another (`none` included) or asks for extensions (`crit`) is refused before its
//! MAC is looked at, and the MAC is compared in constant time. An empty secret is refused too:
//! with it anyone could sign. Claims come back as the JSON object that was signed, untouched
//! (what each claim must hold is the caller's rule, not this module's).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac, digest::KeyInit};
use sha2::Sha256;

/// The JOSE header of every token signed here.
const HEADER: &str = r#"{"typ":"JWT","alg":"HS256"}"#;

/// Why a token could not be signed.
#[derive(Debug)]
pub(crate) enum SignError {
    /// The secret is empty.
    EmptySecret,
    /// The claims did not serialize to JSON.
    Claims(serde_json::Error),
}

impl std::fmt::Display for SignError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::EmptySecret => f.write_str("the HS256 secret is empty"),
            Self::Claims(e) => write!(f, "the claims do not serialize: {e}"),
        }
    }
}

/// `claims` signed HS256 with `secret`: `header.payload.signature`, each base64url without
/// padding.
pub(crate) fn sign(claims: &impl serde::Serialize, secret: &[u8]) -> Result<String, SignError> {
    let payload = serde_json::to_vec(claims).map_err(SignError::Claims)?;
    let mut token = URL_SAFE_NO_PAD.encode(HEADER);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut token);
    let mut mac = hs256(secret).ok_or(SignError::EmptySecret)?;
    mac.update(token.as_bytes());
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(mac.finalize().into_bytes(), &mut token);
    Ok(token)
}

/// The claims of `token` when it is an HS256 JWT signed with `secret` whose payload is a JSON
/// object; `None` for anything else (malformed, another algorithm, another secret, tampered).
#[cfg_attr(not(feature = "drchrono"), allow(dead_code))] // DrChrono's iframe launches
pub(crate) fn verify(
    token: &str,
    secret: &[u8],
) -> Option<serde_json::Map<String, serde_json::Value>> {
    let mut parts = token.split('.');
    let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let jose: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
    if jose.get("alg").and_then(serde_json::Value::as_str) != Some("HS256")
        || jose.contains_key("crit")
    {
        return None;
    }
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    let mut mac = hs256(secret)?;
    mac.update(&token.as_bytes()[..header.len() + 1 + payload.len()]);
    mac.verify_slice(&signature).ok()?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

/// HMAC-SHA256 keyed with `secret`, unless it is empty.
fn hs256(secret: &[u8]) -> Option<Hmac<Sha256>> {
    if secret.is_empty() {
        return None;
    }
    <Hmac<Sha256> as KeyInit>::new_from_slice(secret).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// RFC 7515, appendix A.1: the HS256 example, key and token as published.
    #[test]
    fn the_rfc_7515_example_verifies() {
        let key = URL_SAFE_NO_PAD
            .decode(
                "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
            )
            .unwrap();
        let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9\
            .eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ\
            .dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let claims = verify(token, &key).expect("the RFC's token verifies with the RFC's key");
        assert_eq!(claims["iss"], "joe");
        assert_eq!(claims["exp"], 1_300_819_380);
        assert_eq!(claims["http://example.com/is_root"], true);
        assert_eq!(verify(token, b"another key"), None);
    }

    #[test]
    fn signed_tokens_verify_here_and_with_jsonwebtoken() {
        let claims = json!({"iss": "cid", "sub": "dr.who", "iat": 1_700_000_000, "n": "é"});
        let token = sign(&claims, b"s3cret").unwrap();
        assert_eq!(Value::Object(verify(&token, b"s3cret").unwrap()), claims);

        let decoded = jsonwebtoken::decode::<Value>(
            &token,
            &jsonwebtoken::DecodingKey::from_secret(b"s3cret").unwrap(),
            &no_claim_rules(),
        )
        .expect("jsonwebtoken accepts what is signed here");
        assert_eq!(decoded.claims, claims);
        assert_eq!(decoded.header.typ.as_deref(), Some("JWT"));
    }

    #[test]
    fn tokens_signed_by_jsonwebtoken_verify_here() {
        let claims = json!({"doctor_id": "7", "iat": 1_700_000_000});
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(b"k3y!").unwrap(),
        )
        .unwrap();
        assert_eq!(Value::Object(verify(&token, b"k3y!").unwrap()), claims);
        assert_eq!(verify(&token, b"k3y?"), None);
    }

    #[test]
    fn other_algorithms_and_extensions_are_refused() {
        let payload = URL_SAFE_NO_PAD.encode(r#"{"sub":"x"}"#);
        for header in [
            r#"{"alg":"none"}"#,
            r#"{"alg":"HS512"}"#,
            r#"{"alg":"hs256"}"#,
            r#"{"typ":"JWT"}"#,
            r#"{"alg":"HS256","crit":["exp"]}"#,
            r#"["HS256"]"#,
        ] {
            let signed = format!("{}.{payload}", URL_SAFE_NO_PAD.encode(header));
            let mut mac = hs256(b"s3cret").unwrap();
            mac.update(signed.as_bytes());
            let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
            // Correctly MACed with the right key, and still refused: the header decides first.
            assert_eq!(
                verify(&format!("{signed}.{sig}"), b"s3cret"),
                None,
                "{header}"
            );
            assert_eq!(verify(&format!("{signed}."), b"s3cret"), None, "{header}");
        }
    }

    #[test]
    fn tampered_or_malformed_tokens_are_refused() {
        let token = sign(&json!({"patient_id": 1}), b"s3cret").unwrap();
        let (head, rest) = token.split_once('.').unwrap();
        let (_, sig) = rest.split_once('.').unwrap();
        let forged = format!(
            "{head}.{}.{sig}",
            URL_SAFE_NO_PAD.encode(r#"{"patient_id":2}"#)
        );
        assert_eq!(verify(&forged, b"s3cret"), None);
        let array = format!("{head}.{}", URL_SAFE_NO_PAD.encode("[1]"));
        let array = sign_raw(&array, b"s3cret");
        assert_eq!(
            verify(&array, b"s3cret"),
            None,
            "a payload that is not an object"
        );
        for bad in [
            "",
            "a.b",
            "a.b.c.d",
            &format!("{token}.x"),
            &format!("{token}="),
            &token[..token.len() - 1],
            &token.replacen('.', "..", 1),
        ] {
            assert_eq!(verify(bad, b"s3cret"), None, "{bad}");
        }
    }

    #[test]
    fn an_empty_secret_neither_signs_nor_verifies() {
        assert!(matches!(sign(&json!({}), b""), Err(SignError::EmptySecret)));
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(HEADER),
            URL_SAFE_NO_PAD.encode(r#"{"sub":"x"}"#)
        );
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"").unwrap();
        mac.update(signed.as_bytes());
        let token = format!(
            "{signed}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        );
        assert_eq!(verify(&token, b""), None);
    }

    /// `signed` (`header.payload`) with its HS256 signature appended.
    fn sign_raw(signed: &str, secret: &[u8]) -> String {
        let mut mac = hs256(secret).unwrap();
        mac.update(signed.as_bytes());
        format!(
            "{signed}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    }

    fn no_claim_rules() -> jsonwebtoken::Validation {
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation
    }
}
