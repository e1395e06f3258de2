//! Free text: HTML stripping, character lengths, bounded text and tag lists.

use std::collections::HashSet;
use std::sync::LazyLock;

use super::FieldError;

/// Longest tag, in characters.
const TAG_MAX_CHARS: usize = 100;
/// Most distinct tags in one post.
pub const TAGS_PER_POST_MAX: usize = 100;
/// Longest tag item parsed for markup, in bytes; longer ones are refused unparsed.
const TAG_RAW_MAX_BYTES: usize = 4096;

/// Allows no tags at all; its default `clean_content_tags` drop `script` and `style` with their content.
static NO_TAGS: LazyLock<ammonia::Builder<'static>> = LazyLock::new(ammonia::Builder::empty);

/// Strip HTML: tags removed, script/style contents dropped, entities decoded, then trimmed.
///
/// `Smith &amp; Sons` and `Smith & Sons` both give `Smith & Sons`; `<b></b>` gives ``; `a < b` stays.
pub fn strip_html(raw: &str) -> String {
    if raw.contains(['<', '&', '\r', '\0']) {
        if raw.bytes().filter(|b| *b == b'<').count() > FULL_PARSE_TAGS_MAX {
            strip_markup_linear(raw)
        } else {
            strip_markup(raw)
        }
    } else {
        // Nothing the HTML parser would change: no markup, no entity, no CR to normalise, no NUL.
        raw.trim().to_owned()
    }
}

/// The full path of [`strip_html`]: parse as an HTML fragment, keep the text, decode what the
/// serializer escaped.
fn strip_markup(raw: &str) -> String {
    let text = NO_TAGS.clean(raw).to_string();
    html_escape::decode_html_entities(&text).trim().to_owned()
}

/// Most `<` in a value given to the HTML parser: its cost grows with the square of the
/// number of open formatting tags with attributes, so text with more markup than any
/// real form value goes through [`strip_markup_linear`] instead.
const FULL_PARSE_TAGS_MAX: usize = 1_000;

/// Strip markup in one pass: every `<` that starts a tag, comment or doctype drops up
/// to the next `>`, `script` and `style` drop their content too, entities are decoded.
/// Agrees with [`strip_markup`] on ordinary markup; used only for pathological input.
fn strip_markup_linear(raw: &str) -> String {
    let mut text = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('<') {
        text.push_str(&rest[..at]);
        let tag = &rest[at + 1..];
        if !tag.starts_with(|c: char| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?')) {
            text.push('<');
            rest = tag;
            continue;
        }
        let Some(end) = tag.find('>') else {
            rest = "";
            break;
        };
        let name: String = tag
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        rest = &tag[end + 1..];
        if name == "script" || name == "style" {
            let close = format!("</{name}");
            rest = match rest.to_ascii_lowercase().find(&close) {
                Some(at) => rest[at..].find('>').map_or("", |end| &rest[at + end + 1..]),
                None => "",
            };
        }
    }
    text.push_str(rest);
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    html_escape::decode_html_entities(&text).trim().to_owned()
}

/// Count characters (Unicode scalar values).
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// Cut to at most `max` characters (never splits a char).
pub fn truncate_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((end, _)) => &s[..end],
        None => s,
    }
}

/// Free text of at most a given number of characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(String);

impl Text {
    /// Accept a cleaned value of at most `max_chars` characters.
    pub fn parse(s: &str, max_chars: usize) -> Result<Text, FieldError> {
        let s = s.trim();
        if char_len(s) > max_chars {
            return Err(FieldError(format!(
                "must be at most {max_chars} characters"
            )));
        }
        Ok(Text(s.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// Tags in the order first posted, without case-insensitive duplicates, at most
/// [`TAGS_PER_POST_MAX`] of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagList {
    tags: Vec<String>,
    /// The lower-cased tags, to drop duplicates in constant time.
    seen: HashSet<String>,
}

impl TagList {
    /// Add one posted `tag` value (a comma-separated list): items HTML-stripped and trimmed, empty
    /// items dropped, duplicates dropped case-insensitively (first spelling and position kept).
    /// An item over 100 characters, or a tag beyond the 100th, is an error, and then nothing of
    /// this value is added.
    pub fn push_list(&mut self, value: &str) -> Result<(), FieldError> {
        let before = self.tags.len();
        for item in value.split(',') {
            let problem = if item.len() > TAG_RAW_MAX_BYTES {
                // Far too long to be a tag once stripped of markup: not worth parsing.
                Some(format!(
                    "each tag must be at most {TAG_MAX_CHARS} characters"
                ))
            } else {
                let tag = strip_html(item);
                if char_len(&tag) > TAG_MAX_CHARS {
                    Some(format!(
                        "each tag must be at most {TAG_MAX_CHARS} characters"
                    ))
                } else if tag.is_empty() || !self.seen.insert(tag.to_lowercase()) {
                    None
                } else if self.tags.len() == TAGS_PER_POST_MAX {
                    Some(format!(
                        "at most {TAGS_PER_POST_MAX} tags may be posted at once"
                    ))
                } else {
                    self.tags.push(tag);
                    None
                }
            };
            if let Some(reason) = problem {
                for dropped in self.tags.drain(before..) {
                    self.seen.remove(&dropped.to_lowercase());
                }
                return Err(FieldError(reason));
            }
        }
        Ok(())
    }

    /// The tags.
    pub fn as_slice(&self) -> &[String] {
        &self.tags
    }

    /// Whether there are no tags.
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    /// The tags, owned.
    pub fn into_vec(self) -> Vec<String> {
        self.tags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_html_decodes_entities_once() {
        assert_eq!(strip_html("Smith &amp; Sons"), "Smith & Sons");
        assert_eq!(strip_html("Smith & Sons"), "Smith & Sons");
        assert_eq!(strip_html("&lt;b&gt;"), "<b>");
        assert_eq!(strip_html("&amp;lt;"), "&lt;");
    }

    #[test]
    fn strip_html_removes_tags() {
        assert_eq!(strip_html("<b></b>"), "");
        assert_eq!(strip_html(" <b>bold</b> <i>x</i> "), "bold x");
        assert_eq!(strip_html("<a href=\"javascript:x\">link</a>"), "link");
    }

    #[test]
    fn strip_html_keeps_a_lone_less_than() {
        assert_eq!(strip_html("a < b"), "a < b");
    }

    #[test]
    fn strip_html_drops_script_and_style_content() {
        assert_eq!(strip_html("<script>alert(1)</script>hi"), "hi");
        assert_eq!(strip_html("<style>x</style>ok"), "ok");
    }

    #[test]
    fn strip_html_trims() {
        assert_eq!(strip_html("  plain  "), "plain");
        assert_eq!(strip_html("\r\n<b>x</b>\r\n"), "x");
    }

    #[test]
    fn strip_html_fast_path_agrees_with_full_path() {
        let chars: Vec<char> = (1..=0x10FFFF_u32)
            .filter_map(char::from_u32)
            .filter(|c| !matches!(c, '<' | '&' | '\r' | '\0'))
            .collect();
        for chunk in chars.chunks(4096) {
            let s: String = [" x", &chunk.iter().collect::<String>(), "y "].concat();
            assert_eq!(
                strip_html(&s),
                strip_markup(&s),
                "chunk starting {:?}",
                chunk[0]
            );
        }
    }

    #[test]
    fn heavy_markup_is_stripped_in_linear_time() {
        // 20,000 distinct open formatting tags took seconds through the HTML parser.
        let hostile: String = (0..20_000).map(|i| format!("<b id={i}>")).collect();
        let start = std::time::Instant::now();
        assert_eq!(strip_html(&format!("{hostile}x")), "x");
        // Linear work is milliseconds; the quadratic parse took over 10 s here.
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn the_linear_stripper_agrees_on_ordinary_markup() {
        for sample in [
            " <b>bold</b> <i>x</i> ",
            "<script>alert(1)</script>hi<STYLE>p{}</STYLE>",
            "Smith &amp; Sons <a href=\"x\">link</a>",
            "a < b",
            "<!-- note -->text\r\nmore",
        ] {
            assert_eq!(
                strip_markup_linear(sample),
                strip_markup(sample),
                "{sample:?}"
            );
        }
    }

    #[test]
    fn char_len_counts_scalar_values() {
        assert_eq!(char_len("héllo"), 5);
        assert_eq!(char_len("日本語"), 3);
        assert_eq!(char_len(""), 0);
    }

    #[test]
    fn truncate_chars_never_splits_multibyte_chars() {
        assert_eq!(truncate_chars("日本語テキスト", 3), "日本語");
        assert_eq!(truncate_chars("héllo", 2), "hé");
        assert_eq!(truncate_chars("😀😀", 1), "😀");
        assert_eq!(truncate_chars("short", 100), "short");
        assert_eq!(truncate_chars("abc", 0), "");
    }

    #[test]
    fn text_within_limit_is_accepted() {
        let t = Text::parse("日本語", 3).unwrap();
        assert_eq!(t.as_str(), "日本語");
        assert_eq!(t.into_string(), "日本語");
    }

    #[test]
    fn text_over_limit_is_refused() {
        let err = Text::parse(&"a".repeat(256), 255).unwrap_err();
        assert_eq!(err.to_string(), "must be at most 255 characters");
        assert!(Text::parse(&"a".repeat(65_535), 65_535).is_ok());
        assert!(Text::parse(&"a".repeat(65_536), 65_535).is_err());
    }

    #[test]
    fn tags_are_trimmed_deduplicated_and_ordered() {
        let mut tags = TagList::default();
        tags.push_list("a, b,,a , A").unwrap();
        assert_eq!(tags.as_slice(), ["a", "b"]);
    }

    #[test]
    fn tags_accumulate_across_values() {
        let mut tags = TagList::default();
        tags.push_list("VIP").unwrap();
        tags.push_list("vip, new").unwrap();
        assert_eq!(tags.into_vec(), ["VIP", "new"]);
    }

    #[test]
    fn tags_have_html_stripped() {
        let mut tags = TagList::default();
        tags.push_list("<b>hot</b>, Smith &amp; Sons, <i></i>")
            .unwrap();
        assert_eq!(tags.as_slice(), ["hot", "Smith & Sons"]);
    }

    #[test]
    fn empty_tag_value_adds_nothing() {
        let mut tags = TagList::default();
        tags.push_list(" , ,").unwrap();
        assert!(tags.is_empty());
    }

    #[test]
    fn tag_over_100_characters_is_refused() {
        let mut tags = TagList::default();
        assert!(tags.push_list(&"t".repeat(100)).is_ok());
        let mut tags = TagList::default();
        let err = tags
            .push_list(&format!("ok, {}", "t".repeat(101)))
            .unwrap_err();
        assert_eq!(err.to_string(), "each tag must be at most 100 characters");
        assert!(tags.is_empty());
    }
}
