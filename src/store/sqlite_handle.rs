//! Statements on the SQLite writer's own handle (group_commit.rs): the SQL texts
//! sqlx runs elsewhere, with their `$N` parameters bound by number through
//! rusqlite, each prepared once per group.

use rusqlite::{CachedStatement, Row, ToSql};
use uuid::Uuid;

use super::StoreError;
use super::group_commit::Conn;

/// `text`, prepared once per group, with its `$N` parameters bound from
/// `values` by number (as sqlx binds the same SQL).
pub(super) fn bound<'c>(
    db: &'c Conn,
    text: &str,
    values: &[&dyn ToSql],
) -> Result<CachedStatement<'c>, StoreError> {
    let mut statement = db.prepare_cached(text)?;
    for index in 1..=statement.parameter_count() {
        let name = statement.parameter_name(index).unwrap_or_default();
        let value = name
            .strip_prefix('$')
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| values.get(n.checked_sub(1)?))
            .ok_or_else(|| rusqlite::Error::InvalidParameterName(name.to_string()))?;
        statement.raw_bind_parameter(index, value)?;
    }
    Ok(statement)
}

/// Run a statement; the number of rows it changed.
pub(super) fn execute(db: &Conn, text: &str, values: &[&dyn ToSql]) -> Result<usize, StoreError> {
    Ok(bound(db, text, values)?.raw_execute()?)
}

/// The first row of a statement, if any, read by `read`.
pub(super) fn first_row<T>(
    db: &Conn,
    text: &str,
    values: &[&dyn ToSql],
    read: impl FnOnce(&Row) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    let mut statement = bound(db, text, values)?;
    let mut rows = statement.raw_query();
    match rows.next()? {
        Some(row) => Ok(Some(read(row)?)),
        None => Ok(None),
    }
}

/// An id column of a row.
pub(super) fn id_at(row: &Row, index: usize) -> Result<Uuid, StoreError> {
    let text: String = row.get(index)?;
    Uuid::parse_str(&text).map_err(|e| {
        StoreError::Sqlite(rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            Box::new(e),
        ))
    })
}
