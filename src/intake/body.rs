//! Request bodies: urlencoded (the contract; also when no Content-Type is sent),
//! multipart and flat JSON, each turned into the posted `(name, value)` pairs.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde_json::value::RawValue;

use crate::fields::remove_controls;

/// The fields of a post, in posted order, as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostedPairs {
    pub pairs: Vec<(String, String)>,
    /// JSON fields whose value was an object (or an array holding one): a step-5 error.
    pub nested: Vec<String>,
}

impl PostedPairs {
    /// Remove NUL and the other C0 controls but tab, newline and CR from every name and value.
    pub fn remove_controls(&mut self) {
        for (name, value) in &mut self.pairs {
            remove_controls(name);
            remove_controls(value);
        }
        for name in &mut self.nested {
            remove_controls(name);
        }
    }
}

/// A body that cannot be read as fields (docs/endpoint.md, order of checks, step 1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error(
        "Content-Type {0} is not accepted; send application/x-www-form-urlencoded, multipart/form-data or application/json"
    )]
    UnsupportedType(String),
    #[error("{0}")]
    Malformed(String),
}

/// Parse `body` as the `content_type` header says.
pub async fn parse(content_type: Option<&str>, body: Bytes) -> Result<PostedPairs, BodyError> {
    let essence = content_type
        .map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    match essence.as_str() {
        "" | "application/x-www-form-urlencoded" => off_the_workers(body, parse_urlencoded).await,
        "application/json" => off_the_workers(body, parse_json).await,
        "multipart/form-data" => parse_multipart(content_type.unwrap_or_default(), body).await,
        _ => Err(BodyError::UnsupportedType(essence)),
    }
}

/// Run a parser on a blocking thread (a large body is CPU work).
async fn off_the_workers(
    body: Bytes,
    parser: fn(&[u8]) -> Result<PostedPairs, BodyError>,
) -> Result<PostedPairs, BodyError> {
    tokio::task::spawn_blocking(move || parser(&body))
        .await
        .unwrap_or_else(|e| {
            Err(BodyError::Malformed(format!(
                "the body could not be read: {e}"
            )))
        })
}

/// Strict urlencoding: a `%` must start a valid escape and the decoded bytes must be
/// UTF-8 (`form_urlencoded` alone would let both through, lossily).
pub fn parse_urlencoded(body: &[u8]) -> Result<PostedPairs, BodyError> {
    let mut pairs = Vec::new();
    for piece in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match piece.iter().position(|b| *b == b'=') {
            Some(at) => (&piece[..at], &piece[at + 1..]),
            None => (piece, &b""[..]),
        };
        pairs.push((decode_component(name)?, decode_component(value)?));
    }
    Ok(PostedPairs {
        pairs,
        nested: Vec::new(),
    })
}

fn decode_component(raw: &[u8]) -> Result<String, BodyError> {
    let mut bytes = raw.to_vec();
    for (i, b) in raw.iter().enumerate() {
        match b {
            b'+' => bytes[i] = b' ',
            b'%' => {
                let escape = raw.get(i + 1..i + 3);
                if !escape.is_some_and(|e| e.iter().all(u8::is_ascii_hexdigit)) {
                    return Err(BodyError::Malformed(
                        "the body is not valid urlencoding: '%' must be followed by two hex digits"
                            .into(),
                    ));
                }
            }
            _ => {}
        }
    }
    percent_encoding::percent_decode(&bytes)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| BodyError::Malformed("the body is not valid UTF-8".into()))
}

/// A flat JSON object: strings as given, numbers as written, booleans 1/0, null
/// absent, an array of scalars as the field given several times.
pub fn parse_json(body: &[u8]) -> Result<PostedPairs, BodyError> {
    let object: BTreeMap<String, &RawValue> = serde_json::from_slice(body)
        .map_err(|e| BodyError::Malformed(format!("the body is not a flat JSON object: {e}")))?;
    let mut posted = PostedPairs::default();
    for (name, raw) in object {
        if raw.get().starts_with('[') {
            let items: Vec<&RawValue> = serde_json::from_str(raw.get()).map_err(not_json)?;
            for item in items {
                if !push_scalar(&mut posted, &name, item)? {
                    posted.nested.push(name.clone());
                    break;
                }
            }
        } else if !push_scalar(&mut posted, &name, raw)? {
            posted.nested.push(name);
        }
    }
    Ok(posted)
}

fn not_json(e: serde_json::Error) -> BodyError {
    BodyError::Malformed(format!("the body is not valid JSON: {e}"))
}

/// Add one scalar JSON value as text; `false` when it is an object or array.
fn push_scalar(posted: &mut PostedPairs, name: &str, raw: &RawValue) -> Result<bool, BodyError> {
    let text = raw.get();
    let value = match text.as_bytes().first() {
        Some(b'{' | b'[') => return Ok(false),
        Some(b'n') => return Ok(true),
        Some(b'"') => serde_json::from_str::<String>(text).map_err(not_json)?,
        // `true` would become `1` and then the URL `https://1`: a URL must be a string.
        Some(_) if matches!(name, "OnSuccessURL" | "OnErrorURL") => {
            return Err(BodyError::Malformed(format!(
                "{name} must be a JSON string (a URL)"
            )));
        }
        Some(b't') => "1".to_string(),
        Some(b'f') => "0".to_string(),
        // A number, exactly as written.
        _ => text.to_string(),
    };
    posted.pairs.push((name.to_string(), value));
    Ok(true)
}

/// `multipart/form-data`: text parts become fields; file parts are ignored.
async fn parse_multipart(content_type: &str, body: Bytes) -> Result<PostedPairs, BodyError> {
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| BodyError::Malformed("the multipart Content-Type has no boundary".into()))?;
    let stream = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut posted = PostedPairs::default();
    let malformed = |e: multer::Error| BodyError::Malformed(format!("the multipart body: {e}"));
    while let Some(field) = multipart.next_field().await.map_err(malformed)? {
        let Some(name) = field.name().map(str::to_string) else {
            continue;
        };
        if field.file_name().is_some() {
            tracing::debug!(field = %name, "ignoring a file part");
            continue;
        }
        let bytes = field.bytes().await.map_err(malformed)?;
        let value = String::from_utf8(bytes.to_vec())
            .map_err(|_| BodyError::Malformed("the body is not valid UTF-8".into()))?;
        posted.pairs.push((name, value));
    }
    Ok(posted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn urlencoded_decodes_plus_and_escapes_in_order() {
        let p = parse_urlencoded(b"name=Ann+Lee&tag=a%2Cb&tag=c&empty=&bare").expect("parses");
        assert_eq!(
            p.pairs,
            pairs(&[
                ("name", "Ann Lee"),
                ("tag", "a,b"),
                ("tag", "c"),
                ("empty", ""),
                ("bare", "")
            ])
        );
    }

    #[test]
    fn urlencoded_refuses_a_broken_escape() {
        assert!(matches!(
            parse_urlencoded(b"name=%zzAnn"),
            Err(BodyError::Malformed(_))
        ));
        assert!(matches!(
            parse_urlencoded(b"name=Ann%4"),
            Err(BodyError::Malformed(_))
        ));
    }

    #[test]
    fn urlencoded_refuses_invalid_utf8_raw_or_escaped() {
        assert!(parse_urlencoded(b"name=%FF%FE").is_err());
        assert!(parse_urlencoded(b"name=\xff").is_err());
    }

    #[test]
    fn json_numbers_are_kept_as_written_and_booleans_become_flags() {
        let p = parse_json(
            br#"{"age": 042, "deal_size": 1.50, "smsok": true, "pets": false, "x": null}"#,
        );
        // 042 is not valid JSON; a leading zero is refused by the JSON grammar.
        assert!(p.is_err());
        let p = parse_json(br#"{"deal_size": 1.50, "smsok": true, "pets": false, "x": null}"#)
            .expect("parses");
        assert_eq!(
            p.pairs,
            pairs(&[("deal_size", "1.50"), ("pets", "0"), ("smsok", "1")])
        );
    }

    #[test]
    fn json_arrays_repeat_the_field_and_objects_are_nested() {
        let p = parse_json(br#"{"tag": ["a", "b"], "address": {"street": "x"}}"#).expect("parses");
        assert_eq!(p.pairs, pairs(&[("tag", "a"), ("tag", "b")]));
        assert_eq!(p.nested, vec!["address".to_string()]);
    }

    #[test]
    fn a_json_boolean_or_number_for_a_url_field_is_malformed() {
        for body in [&br#"{"OnSuccessURL": false}"#[..], br#"{"OnErrorURL": 1}"#] {
            assert!(matches!(parse_json(body), Err(BodyError::Malformed(_))));
        }
    }

    #[test]
    fn json_that_is_not_an_object_is_malformed() {
        assert!(matches!(parse_json(b"[1,2]"), Err(BodyError::Malformed(_))));
        assert!(matches!(parse_json(b"{"), Err(BodyError::Malformed(_))));
    }

    #[tokio::test]
    async fn text_plain_is_unsupported() {
        let err = parse(Some("text/plain"), Bytes::from_static(b"x"))
            .await
            .expect_err("refused");
        assert_eq!(err, BodyError::UnsupportedType("text/plain".into()));
    }

    #[tokio::test]
    async fn multipart_text_parts_become_fields() {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"firstName\"\r\n\r\nAnn\r\n\
                    --XyZ\r\nContent-Disposition: form-data; name=\"cv\"; filename=\"a.txt\"\r\n\r\nfile\r\n\
                    --XyZ--\r\n";
        let p = parse(
            Some("multipart/form-data; boundary=XyZ"),
            Bytes::from(body.to_string()),
        )
        .await
        .expect("parses");
        assert_eq!(p.pairs, pairs(&[("firstName", "Ann")]));
    }
}
