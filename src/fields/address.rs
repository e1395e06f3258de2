//! Postal address parts: state/province and ZIP/postal code.

use super::{FieldError, has_shape};

/// The 50 US states and DC.
const US_STATES: [&str; 51] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY",
];

/// Canadian provinces and territories.
const CA_PROVINCES: [&str; 13] = [
    "AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT",
];

/// Accepted ZIP / postal code shapes (see `has_shape`).
const ZIP_SHAPES: [&str; 4] = ["99999", "99999-9999", "99999-9999-99", "A9A 9A9"];

/// A US state (50 + DC) or Canadian province/territory code, upper case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsCaState(String);

impl UsCaState {
    /// Accept a two-letter code in either case.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let code = s.trim().to_ascii_uppercase();
        if US_STATES.contains(&code.as_str()) || CA_PROVINCES.contains(&code.as_str()) {
            Ok(Self(code))
        } else {
            Err(FieldError::new(
                "must be a US state or Canadian province two-letter code",
            ))
        }
    }

    /// The upper-case code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a Canadian province or territory.
    pub fn is_canadian(&self) -> bool {
        CA_PROVINCES.contains(&self.0.as_str())
    }
}

/// A US ZIP code (`12345`, `12345-6789`, `12345-6789-01`) or Canadian postal code (`A1A 1A1`, upper case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zip(String);

impl Zip {
    /// Accept one of the four shapes; letters in either case.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        if ZIP_SHAPES.iter().any(|shape| has_shape(s, shape)) {
            Ok(Self(s.to_ascii_uppercase()))
        } else {
            Err(FieldError::new(
                "must be 12345, 12345-6789, 12345-6789-01 or a Canadian A1A 1A1",
            ))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_lower_case_is_stored_upper() {
        let st = UsCaState::parse("ut").unwrap();
        assert_eq!(st.as_str(), "UT");
        assert!(!st.is_canadian());
        assert_eq!(UsCaState::parse("dc").unwrap().as_str(), "DC");
    }

    #[test]
    fn unknown_state_is_refused() {
        let err = UsCaState::parse("XX").unwrap_err();
        assert_eq!(
            err.to_string(),
            "must be a US state or Canadian province two-letter code"
        );
        for bad in ["", "U", "UTA", "Utah", "ＵＴ"] {
            assert!(UsCaState::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn all_canadian_codes_are_accepted_and_canadian() {
        for code in [
            "AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT",
        ] {
            let st = UsCaState::parse(&code.to_lowercase()).unwrap();
            assert_eq!(st.as_str(), code);
            assert!(st.is_canadian(), "{code}");
        }
    }

    #[test]
    fn zip_accepts_all_four_forms() {
        for ok in ["12345", "12345-6789", "12345-6789-01", "A1A 1A1"] {
            assert_eq!(Zip::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn canadian_zip_is_stored_upper() {
        assert_eq!(Zip::parse("k1a 0b1").unwrap().as_str(), "K1A 0B1");
    }

    #[test]
    fn malformed_zip_is_refused() {
        for bad in [
            "1234",
            "12345-678",
            "a1a1a1",
            "123456",
            "12345 6789",
            "A1A  1A1",
            "١٢٣٤٥",
        ] {
            assert!(Zip::parse(bad).is_err(), "{bad}");
        }
    }
}
