//! The account a hosted page is for (`?a=<account id>` on `/thanks` and `/oops`): its
//! `display_name`, a link back to its `website_url` (http/https only), and who may frame the page —
//! `'none'` unless the account has allowed origins (its spam settings), then exactly those.

use uuid::Uuid;

use crate::spam::OriginPattern;
use crate::store::Store;

/// What a hosted page shows of its account, and its `frame-ancestors`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostedAccount {
    pub display_name: Option<String>,
    /// Only an `http://` or `https://` URL: anything else is not linked.
    pub website_url: Option<String>,
    pub frame_ancestors: String,
}

impl Default for HostedAccount {
    /// A page for no (or an unknown) account: nobody may frame it.
    fn default() -> Self {
        HostedAccount {
            display_name: None,
            website_url: None,
            frame_ancestors: "'none'".into(),
        }
    }
}

/// The `a` value of a query string, if it is an account id.
pub fn account_param(query: Option<&str>) -> Option<Uuid> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(name, _)| name == "a")
        .and_then(|(_, value)| Uuid::parse_str(value.trim()).ok())
}

/// The account of `?a=`; an unknown account or a storage failure gives the plain page.
pub async fn lookup(store: &dyn Store, account_id: Option<Uuid>) -> HostedAccount {
    let Some(id) = account_id else {
        return HostedAccount::default();
    };
    let account = match store.get_account(id).await {
        Ok(account) => account,
        Err(e) => {
            tracing::debug!(error = %e, account_id = %id, "hosted page for no known account");
            return HostedAccount::default();
        }
    };
    let origins = match store.get_spam_settings(id).await {
        Ok(settings) => settings.allowed_origins,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the account's allowed origins; page not framable");
            Vec::new()
        }
    };
    HostedAccount {
        display_name: account.display_name,
        website_url: account.website_url.filter(|u| is_http(u)),
        frame_ancestors: frame_ancestors(&origins),
    }
}

/// Whether `url` is an http:// or https:// URL with a host.
pub fn is_http(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// `'none'`, or the allowed origins as CSP sources (each pattern already checked when it was set;
/// anything that is not plain `scheme://host[:port]` text is left out all the same).
pub fn frame_ancestors(origins: &[OriginPattern]) -> String {
    let sources: Vec<String> = origins
        .iter()
        .map(ToString::to_string)
        .filter(|text| {
            text.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '/' | '*' | '[' | ']')
            })
        })
        .collect();
    if sources.is_empty() {
        "'none'".into()
    } else {
        sources.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_allowed_origins_nobody_may_frame_the_page() {
        assert_eq!(frame_ancestors(&[]), "'none'");
    }

    #[test]
    fn allowed_origins_are_the_frame_ancestors_exactly() {
        let origins: Vec<OriginPattern> = ["https://www.example.com", "https://*.wix.example"]
            .into_iter()
            .map(|o| OriginPattern::parse(o).expect("pattern"))
            .collect();
        assert_eq!(
            frame_ancestors(&origins),
            "https://www.example.com https://*.wix.example"
        );
    }

    #[test]
    fn only_http_and_https_websites_are_linked() {
        assert!(is_http("https://acme.example/"));
        assert!(is_http("http://acme.example"));
        assert!(!is_http("javascript:alert(1)"));
        assert!(!is_http("ftp://acme.example"));
        assert!(!is_http("acme.example"));
    }

    #[test]
    fn the_account_comes_from_a() {
        let id = Uuid::now_v7();
        assert_eq!(
            account_param(Some(&format!("a={id}&error_Code=ct101"))),
            Some(id)
        );
        assert_eq!(account_param(Some("a=nope")), None);
        assert_eq!(account_param(None), None);
    }
}
