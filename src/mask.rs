//! Masking what a webhook listing shows: the user and password of its URL, the values
//! of its query string, and every header value but those of a short list of harmless
//! headers. The text is masked as written (it may hold template tags), not re-parsed.

use serde_json::Value;

/// What a masked value reads as.
pub const MASK: &str = "********";

/// Headers whose values are shown as they are; every other value is masked.
const HARMLESS_HEADERS: &[&str] = &[
    "accept",
    "accept-charset",
    "accept-encoding",
    "accept-language",
    "cache-control",
    "content-language",
    "content-type",
    "user-agent",
    "x-requested-with",
];

/// `https://user:pass@host/p?token=abc#f` → `https://********@host/p?token=********#f`.
pub fn mask_url(url: &str) -> String {
    let (before_fragment, fragment) = match url.find('#') {
        Some(at) => url.split_at(at),
        None => (url, ""),
    };
    let (before_query, query) = match before_fragment.find('?') {
        Some(at) => (&before_fragment[..at], Some(&before_fragment[at + 1..])),
        None => (before_fragment, None),
    };
    let mut out = mask_userinfo(before_query);
    if let Some(query) = query {
        out.push('?');
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, value)) if !value.is_empty() => format!("{name}={MASK}"),
                _ => pair.to_string(),
            })
            .collect();
        out.push_str(&pairs.join("&"));
    }
    out.push_str(fragment);
    out
}

/// The scheme, authority and path with any `user:password@` masked.
fn mask_userinfo(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let authority_start = scheme_end + 3;
    let authority_end = url[authority_start..]
        .find('/')
        .map_or(url.len(), |at| authority_start + at);
    match url[authority_start..authority_end].rfind('@') {
        Some(at) => format!(
            "{}{MASK}{}",
            &url[..authority_start],
            &url[authority_start + at..]
        ),
        None => url.to_string(),
    }
}

/// Mask every header value but the harmless ones; `Bearer xyz` keeps its scheme.
pub fn mask_headers(headers: Value) -> Value {
    match headers {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(name, value)| {
                    if HARMLESS_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                        return (name, value);
                    }
                    let masked = match value.as_str().and_then(|v| v.split_once(' ')) {
                        Some((scheme, _)) if is_auth_scheme(scheme) => format!("{scheme} {MASK}"),
                        _ => MASK.to_string(),
                    };
                    (name, Value::String(masked))
                })
                .collect(),
        ),
        other => other,
    }
}

/// `Bearer`, `Basic` and other one-word schemes are shown.
fn is_auth_scheme(word: &str) -> bool {
    ["basic", "bearer", "digest", "token"].contains(&word.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_headers_are_masked_and_keep_their_scheme() {
        let masked = mask_headers(serde_json::json!({
            "Authorization": "Bearer abc123",
            "X-Api-Key": "k-999",
            "Accept": "application/json",
        }));
        assert_eq!(masked["Authorization"], "Bearer ********");
        assert_eq!(masked["X-Api-Key"], "********");
        assert_eq!(masked["Accept"], "application/json");
    }

    #[test]
    fn headers_off_the_harmless_list_are_masked_whatever_their_name() {
        let masked = mask_headers(serde_json::json!({
            "X-Passwd": "hunter2",
            "X-Session": "s 123",
        }));
        assert_eq!(masked["X-Passwd"], MASK);
        assert_eq!(masked["X-Session"], MASK);
    }

    #[test]
    fn url_userinfo_and_query_values_are_masked() {
        assert_eq!(
            mask_url("https://user:pw@hooks.example.com/in?token=abc&x=&flag#frag"),
            "https://********@hooks.example.com/in?token=********&x=&flag#frag"
        );
        assert_eq!(
            mask_url("https://hooks.example.com/{{ client.id }}"),
            "https://hooks.example.com/{{ client.id }}"
        );
    }
}
