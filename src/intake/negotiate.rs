//! Content negotiation for accounts with hosted thank-you pages: does the
//! `Accept` header prefer an HTML page over the contract's JSON?

/// True when `accept` names `text/html` (or `text/*`) explicitly with a quality
/// strictly higher than the best one JSON gets (`application/json`,
/// `application/*` or `*/*`). A browser navigating (`text/html,...,*/*;q=0.8`)
/// prefers HTML; `fetch` (`*/*`), curl and a missing header do not, and a tie goes
/// to JSON, the contract's answer.
pub fn prefers_html(accept: Option<&str>) -> bool {
    let Some(accept) = accept else { return false };
    let mut html: f32 = 0.0;
    let mut json: f32 = 0.0;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
            .map_or(Some(1.0), |(_, v)| v.trim().parse::<f32>().ok())
            .filter(|q| q.is_finite())
            .unwrap_or(0.0)
            .clamp(0.0, 1.0);
        match media.as_str() {
            "text/html" | "text/*" => html = html.max(quality),
            "application/json" | "application/*" | "*/*" => json = json.max(quality),
            _ => {}
        }
    }
    html > 0.0 && html > json
}

#[cfg(test)]
mod tests {
    use super::prefers_html;

    #[test]
    fn a_browser_navigation_prefers_html() {
        let chromium = "text/html,application/xhtml+xml,application/xml;q=0.9,\
                        image/avif,image/webp,image/apng,*/*;q=0.8,\
                        application/signed-exchange;v=b3;q=0.7";
        assert!(prefers_html(Some(chromium)));
        let firefox = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert!(prefers_html(Some(firefox)));
    }

    #[test]
    fn fetch_curl_and_no_header_get_json() {
        assert!(!prefers_html(Some("*/*")));
        assert!(!prefers_html(None));
        assert!(!prefers_html(Some("")));
        assert!(!prefers_html(Some("application/json")));
    }

    #[test]
    fn a_tie_goes_to_json() {
        assert!(!prefers_html(Some("application/json, text/html")));
        assert!(!prefers_html(Some("text/html, */*")));
    }

    #[test]
    fn quality_values_decide() {
        assert!(prefers_html(Some("application/json;q=0.5, text/html")));
        assert!(!prefers_html(Some(
            "text/html;q=0.4, application/json;q=0.9"
        )));
        assert!(!prefers_html(Some("text/html;q=0")));
        assert!(!prefers_html(Some("text/html;q=nonsense")));
        assert!(prefers_html(Some("TEXT/HTML ; Q=1")));
    }
}
