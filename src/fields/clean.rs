//! Control characters: NUL and the other C0 controls except tab, newline and
//! carriage return are removed from posted names and values before any rule
//! applies (no store keeps them alike: PostgreSQL refuses NUL in text), and admin
//! input carrying a NUL is found so it can be refused naming its field.

use serde_json::Value;

/// Whether `c` is removed from posted text: a C0 control other than tab, LF and CR.
fn is_removed(c: char) -> bool {
    c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r') && c != '\u{7f}'
}

/// Remove NUL and the C0 controls other than tab, newline and carriage return, in place.
pub fn remove_controls(text: &mut String) {
    if text.contains(is_removed) {
        text.retain(|c| !is_removed(c));
    }
}

/// The path (`.a.b[0]`) of the first key or string in `value` that holds a NUL.
pub fn json_path_with_nul(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => s.contains('\0').then(String::new),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| json_path_with_nul(item).map(|rest| format!("[{i}]{rest}"))),
        Value::Object(map) => map.iter().find_map(|(key, item)| {
            if key.contains('\0') {
                return Some(format!(".{}", key.replace('\0', "")));
            }
            json_path_with_nul(item).map(|rest| format!(".{key}{rest}"))
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_and_c0_controls_are_removed_but_tab_newline_and_cr_stay() {
        let mut s = "a\0b\u{1}c\td\ne\rf\u{1b}g\u{7f}".to_string();
        remove_controls(&mut s);
        assert_eq!(s, "abc\td\ne\rfg\u{7f}");
    }

    #[test]
    fn text_without_controls_is_unchanged() {
        let mut s = "Zoë <b>x</b>".to_string();
        remove_controls(&mut s);
        assert_eq!(s, "Zoë <b>x</b>");
    }

    #[test]
    fn a_nul_in_json_is_found_with_its_path() {
        let v: Value = serde_json::json!({"url": "ok", "body": {"list": ["x", "a\u{0}b"]}});
        assert_eq!(json_path_with_nul(&v).as_deref(), Some(".body.list[1]"));
        assert_eq!(
            json_path_with_nul(&serde_json::json!({"a": [1, "b"]})),
            None
        );
        let key: Value = serde_json::json!({"headers": {"X-\u{0}": "v"}});
        assert_eq!(json_path_with_nul(&key).as_deref(), Some(".headers.X-"));
    }
}
