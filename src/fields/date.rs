//! Calendar dates.

use std::fmt;

use time::{Date, Month};

use super::{FieldError, has_shape};

/// A real calendar date, posted as `YYYY:MM:DD` or `YYYY-MM-DD`; displayed as `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YmdDate(Date);

impl YmdDate {
    /// Accept a real date (year 0001 or later) as `YYYY:MM:DD` or `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        Self::from_parts(s)
            .map(Self)
            .ok_or_else(|| FieldError::new("must be a real date as YYYY:MM:DD"))
    }

    /// The date, if `s` has one of the two shapes and names a day that exists.
    fn from_parts(s: &str) -> Option<Date> {
        if !has_shape(s, "9999:99:99") && !has_shape(s, "9999-99-99") {
            return None;
        }
        let year: i32 = s.get(0..4)?.parse().ok()?;
        let month = Month::try_from(s.get(5..7)?.parse::<u8>().ok()?).ok()?;
        let day: u8 = s.get(8..10)?.parse().ok()?;
        if year < 1 {
            return None;
        }
        Date::from_calendar_date(year, month, day).ok()
    }

    /// The date.
    pub fn date(&self) -> Date {
        self.0
    }
}

impl fmt::Display for YmdDate {
    /// `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = self.0.to_calendar_date();
        write!(f, "{year:04}-{:02}-{day:02}", u8::from(month))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn leap_day_in_leap_year_is_accepted() {
        let d = YmdDate::parse("2024:02:29").unwrap();
        assert_eq!(d.date(), date!(2024 - 02 - 29));
        assert_eq!(d.to_string(), "2024-02-29");
    }

    #[test]
    fn dashed_form_is_accepted() {
        assert_eq!(
            YmdDate::parse("1999-12-31").unwrap().to_string(),
            "1999-12-31"
        );
        assert_eq!(
            YmdDate::parse("0001-01-01").unwrap().to_string(),
            "0001-01-01"
        );
    }

    #[test]
    fn leap_day_in_common_year_is_refused() {
        let err = YmdDate::parse("2023:02:29").unwrap_err();
        assert_eq!(err.to_string(), "must be a real date as YYYY:MM:DD");
    }

    #[test]
    fn impossible_month_or_day_is_refused() {
        for bad in [
            "2024-13-01",
            "2024:00:10",
            "2024:04:31",
            "2024:01:00",
            "0000:01:01",
        ] {
            assert!(YmdDate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn other_shapes_are_refused() {
        for bad in [
            "2024:2:3",
            "24:02:03",
            "2024/02/03",
            "2024:02-03",
            "20240203",
            "2024:02:03T00",
            "",
        ] {
            assert!(YmdDate::parse(bad).is_err(), "{bad}");
        }
    }
}
