//! Next and previous links for the console's keyset-paged lists. A page is named by the cursor it
//! starts after; the cursors of the pages before it travel along in `trail` (comma-separated,
//! oldest first, the first page's left out), so "Previous" needs no query backwards.

use serde::Deserialize;

/// A list page's place, as the query string gives it.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct Place {
    /// The cursor this page starts after (none: the first page).
    pub after: Option<String>,
    /// The cursors of the pages before this one but the first.
    pub trail: Option<String>,
}

/// The links to the neighbouring pages, when there are any.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pager {
    pub next: Option<String>,
    pub previous: Option<String>,
}

/// `name=value` pairs of the non-empty filters, as a query string.
pub fn filter_query(filters: &[(&str, &Option<String>)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in filters {
        if let Some(v) = value.as_deref().filter(|v| !v.trim().is_empty()) {
            out.append_pair(name, v);
        }
    }
    out.finish()
}

/// `path` with `filters`, the page after `after` and the `trail` before it.
pub fn page_link(path: &str, filters: &str, after: Option<&str>, trail: &[&str]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    if let Some(after) = after {
        out.append_pair("after", after);
    }
    if !trail.is_empty() {
        out.append_pair("trail", &trail.join(","));
    }
    let page = out.finish();
    let query: Vec<&str> = [filters, page.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

impl Place {
    /// The links from this page of `path` (with `filters`), whose next page starts after `next`.
    pub fn pager(&self, path: &str, filters: &str, next: Option<&str>) -> Pager {
        let trail: Vec<&str> = self
            .trail
            .as_deref()
            .map(|t| t.split(',').filter(|c| !c.is_empty()).collect())
            .unwrap_or_default();
        let here = self.after.as_deref().filter(|a| !a.is_empty());
        let next = next.map(|next| {
            let mut before = trail.clone();
            before.extend(here);
            page_link(path, filters, Some(next), &before)
        });
        let previous = here.map(|_| match trail.split_last() {
            Some((last, rest)) => page_link(path, filters, Some(last), rest),
            None => page_link(path, filters, None, &[]),
        });
        Pager { next, previous }
    }

    /// Whether this is the first page.
    pub fn is_first(&self) -> bool {
        self.after.as_deref().is_none_or(str::is_empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_page_link_has_no_query() {
        assert_eq!(page_link("/console/", "", None, &[]), "/console/");
        assert_eq!(
            page_link("/console/", "q=ann", Some("abc"), &["x", "y"]),
            "/console/?q=ann&after=abc&trail=x%2Cy"
        );
    }

    #[test]
    fn previous_walks_back_the_trail() {
        let third = Place {
            after: Some("c2".into()),
            trail: Some("c1".into()),
        };
        let links = third.pager("/p", "", Some("c3"));
        assert_eq!(links.next.as_deref(), Some("/p?after=c3&trail=c1%2Cc2"));
        assert_eq!(links.previous.as_deref(), Some("/p?after=c1"));
        let second = Place {
            after: Some("c1".into()),
            trail: None,
        };
        assert_eq!(second.pager("/p", "", None).previous.as_deref(), Some("/p"));
        assert_eq!(Place::default().pager("/p", "", None), Pager::default());
    }
}
