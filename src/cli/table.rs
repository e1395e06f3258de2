//! Human-readable output of the CLI: aligned tables and `key: value` blocks.

/// Longest cell shown in a table; longer ones are cut with `…`.
const MAX_CELL: usize = 40;

/// Print rows under a header, columns aligned.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    if rows.is_empty() {
        println!("(none)");
        return;
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|c| cut(c)).collect())
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &cells {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                out.push_str("  ");
            }
            out.push_str(cell);
            if i + 1 < cells.len() {
                let pad = widths[i].saturating_sub(cell.chars().count());
                out.push_str(&" ".repeat(pad));
            }
        }
        println!("{}", out.trim_end());
    };
    line(header.to_vec());
    for row in &cells {
        line(row.iter().map(String::as_str).collect());
    }
}

/// Print `label: value` lines, labels aligned.
pub fn print_fields(fields: &[(&str, String)]) {
    let width = fields
        .iter()
        .map(|(label, _)| label.chars().count() + 1)
        .max()
        .unwrap_or(0);
    for (label, value) in fields {
        println!("{:<width$} {value}", format!("{label}:"));
    }
}

/// One line, cut to [`MAX_CELL`] characters.
fn cut(cell: &str) -> String {
    let one_line = cell.replace(['\n', '\r'], " ");
    if one_line.chars().count() > MAX_CELL {
        let mut s: String = one_line.chars().take(MAX_CELL - 1).collect();
        s.push('…');
        s
    } else {
        one_line
    }
}

/// An optional value as a cell.
pub fn opt<T: ToString>(value: &Option<T>) -> String {
    value
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| "-".into())
}

/// A time as RFC 3339.
pub fn when(t: &time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
