//! Numbers and 1/0 flags.

use serde::{Deserialize, Deserializer, de::Error as _};

use super::FieldError;

/// A whole number of at least 0 that fits in an `i64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WholeNumber(i64);

impl WholeNumber {
    /// Accept ASCII digits only (no sign, exponent, fraction or spaces); leading zeros allowed.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::new(
                "must be a whole number of at least 0, digits only",
            ));
        }
        s.parse()
            .map(Self)
            .map_err(|_| FieldError(format!("must be a whole number of at most {}", i64::MAX)))
    }

    /// The number.
    pub fn value(&self) -> i64 {
        self.0
    }
}

/// A yes/no flag posted as `1` or `0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(bool);

impl Flag {
    /// Accept `1` or `0`.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        match s.trim() {
            "1" => Ok(Self(true)),
            "0" => Ok(Self(false)),
            _ => Err(FieldError::new("must be 1 or 0")),
        }
    }

    /// 1 or 0.
    pub fn as_i64(&self) -> i64 {
        i64::from(self.0)
    }
}

/// A JSON integer, also written as a number with a zero fraction (`79.0`): JSON
/// Schema's `integer`, which the OpenAPI document declares, allows both.
pub fn json_integer<'de, D: Deserializer<'de>>(de: D) -> Result<i64, D::Error> {
    let number = serde_json::Number::deserialize(de)?;
    if let Some(n) = number.as_i64() {
        return Ok(n);
    }
    // Beyond ±2^63 an f64 is no longer an i64; such numbers are refused.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    match number.as_f64() {
        Some(f) if f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f) => Ok(f as i64),
        _ => Err(D::Error::custom(format!(
            "invalid value: {number}, expected a whole number"
        ))),
    }
}

/// [`json_integer`] for an optional field (`null` or absent: `None`).
pub fn json_integer_opt<'de, D: Deserializer<'de>>(de: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    struct Integer(#[serde(deserialize_with = "json_integer")] i64);
    Ok(Option::<Integer>::deserialize(de)?.map(|Integer(n)| n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Seconds(#[serde(deserialize_with = "json_integer")] i64);

    #[test]
    fn a_json_integer_may_have_a_zero_fraction_but_no_other() {
        let read = |s: &str| serde_json::from_str::<Seconds>(s).map(|Seconds(n)| n).ok();
        assert_eq!(read("79"), Some(79));
        assert_eq!(read("79.0"), Some(79));
        assert_eq!(read("-3.0"), Some(-3));
        assert_eq!(read("79.5"), None);
        assert_eq!(read("1e300"), None);
        assert_eq!(read("\"79\""), None);
    }

    #[test]
    fn leading_zeros_are_accepted() {
        assert_eq!(WholeNumber::parse("007").unwrap().value(), 7);
        assert_eq!(WholeNumber::parse("0").unwrap().value(), 0);
    }

    #[test]
    fn i64_max_is_accepted() {
        assert_eq!(
            WholeNumber::parse(&i64::MAX.to_string()).unwrap().value(),
            i64::MAX
        );
    }

    #[test]
    fn number_beyond_i64_is_refused() {
        let err = WholeNumber::parse("99999999999999999999").unwrap_err();
        assert_eq!(
            err.to_string(),
            "must be a whole number of at most 9223372036854775807"
        );
        assert!(WholeNumber::parse("9223372036854775808").is_err());
    }

    #[test]
    fn sign_exponent_fraction_and_spaces_are_refused() {
        for bad in ["-1", "+5", "1e3", "1.0", "1 000", "1_000", "0x10", "٣", ""] {
            let err = WholeNumber::parse(bad).unwrap_err();
            assert_eq!(
                err.to_string(),
                "must be a whole number of at least 0, digits only",
                "{bad}"
            );
        }
    }

    #[test]
    fn flag_accepts_one_and_zero() {
        assert_eq!(Flag::parse("1").unwrap().as_i64(), 1);
        assert_eq!(Flag::parse("0").unwrap().as_i64(), 0);
    }

    #[test]
    fn flag_refuses_anything_else() {
        for bad in ["2", "yes", "true", "01", "-1"] {
            assert_eq!(
                Flag::parse(bad).unwrap_err().to_string(),
                "must be 1 or 0",
                "{bad}"
            );
        }
    }
}
