//! Numbers and 1/0 flags.

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

#[cfg(test)]
mod tests {
    use super::*;

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
