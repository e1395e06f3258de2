//! Values chosen from a fixed list.

use super::FieldError;

/// A value posted as one of a fixed list of canonical spellings, accepted in any ASCII case.
/// Each keyword enum lists its values and spellings; parsing and reading back come from here.
pub trait Keyword: Copy + 'static {
    /// Every value, in order.
    const ALL: &'static [Self];
    /// What an invalid value is told.
    const REASON: &'static str;

    /// The canonical spelling, as stored.
    fn as_str(self) -> &'static str;

    /// Accept one of the canonical spellings in any case.
    fn parse(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| FieldError::new(Self::REASON))
    }

    /// Read back a stored (canonical) spelling.
    fn from_stored(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == s)
    }
}

/// `gender`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    /// Male.
    M,
    /// Female.
    F,
}

impl Keyword for Gender {
    const ALL: &'static [Self] = &[Self::M, Self::F];
    const REASON: &'static str = "must be M or F";

    fn as_str(self) -> &'static str {
        match self {
            Self::M => "M",
            Self::F => "F",
        }
    }
}

/// `home_owner_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HomeOwnerStatus {
    /// Owns the home.
    Own,
    /// Rents the home.
    Rent,
}

impl Keyword for HomeOwnerStatus {
    const ALL: &'static [Self] = &[Self::Own, Self::Rent];
    const REASON: &'static str = "must be Own or Rent";

    fn as_str(self) -> &'static str {
        match self {
            Self::Own => "Own",
            Self::Rent => "Rent",
        }
    }
}

/// `material_status` (sic: the form parameter is spelled that way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaritalStatus {
    /// Single.
    Single,
    /// Married.
    Married,
    /// Divorced.
    Divorced,
}

impl Keyword for MaritalStatus {
    const ALL: &'static [Self] = &[Self::Single, Self::Married, Self::Divorced];
    const REASON: &'static str = "must be Single, Married or Divorced";

    fn as_str(self) -> &'static str {
        match self {
            Self::Single => "Single",
            Self::Married => "Married",
            Self::Divorced => "Divorced",
        }
    }
}

/// Contact type names, numbered 1 to 5 in this order.
const CONTACT_TYPE_NAMES: [&str; 5] = ["Client", "Employee", "Partner", "Vendor", "Other"];

/// `contact_type`: 1 Client, 2 Employee, 3 Partner, 4 Vendor, 5 Other; default 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactType(u8);

impl ContactType {
    /// Accept `1` to `5` or a name (any case).
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        let number = match s.as_bytes() {
            [digit @ b'1'..=b'5'] => Some(digit - b'0'),
            _ => CONTACT_TYPE_NAMES
                .iter()
                .zip(1u8..)
                .find(|(name, _)| name.eq_ignore_ascii_case(s))
                .map(|(_, n)| n),
        };
        number.map(Self).ok_or_else(|| {
            FieldError::new("must be 1 to 5 or Client, Employee, Partner, Vendor or Other")
        })
    }

    /// 1 to 5.
    pub fn number(&self) -> i64 {
        i64::from(self.0)
    }
}

impl Default for ContactType {
    /// Client (1).
    fn default() -> Self {
        Self(1)
    }
}

/// `new_lead_notification`: 0 none, 1 in-app, 2 in-app plus email and text; default 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NewLeadNotification(u8);

impl NewLeadNotification {
    /// Accept `0`, `1` or `2`.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        match s.trim() {
            "0" => Ok(Self(0)),
            "1" => Ok(Self(1)),
            "2" => Ok(Self(2)),
            _ => Err(FieldError::new("must be 0, 1 or 2")),
        }
    }

    /// 0, 1 or 2.
    pub fn level(&self) -> i64 {
        i64::from(self.0)
    }

    /// Whether an in-app notification is raised (level 1 or 2).
    pub fn in_app(&self) -> bool {
        self.0 >= 1
    }

    /// Whether email and text are sent too (level 2).
    pub fn email_and_text(&self) -> bool {
        self.0 == 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gender_matches_any_case() {
        assert_eq!(Gender::parse("m").unwrap(), Gender::M);
        assert_eq!(Gender::parse("F").unwrap().as_str(), "F");
        assert_eq!(Gender::parse("f").unwrap().as_str(), "F");
    }

    #[test]
    fn gender_refuses_other_values() {
        for bad in ["male", "X", "", "MF"] {
            assert_eq!(
                Gender::parse(bad).unwrap_err().to_string(),
                "must be M or F",
                "{bad}"
            );
        }
    }

    #[test]
    fn home_owner_status_is_stored_canonical() {
        assert_eq!(HomeOwnerStatus::parse("oWn").unwrap().as_str(), "Own");
        assert_eq!(
            HomeOwnerStatus::parse("RENT").unwrap(),
            HomeOwnerStatus::Rent
        );
        assert!(HomeOwnerStatus::parse("lease").is_err());
    }

    #[test]
    fn marital_status_is_stored_canonical() {
        assert_eq!(MaritalStatus::parse("married").unwrap().as_str(), "Married");
        assert_eq!(
            MaritalStatus::parse("DIVORCED").unwrap(),
            MaritalStatus::Divorced
        );
        assert_eq!(
            MaritalStatus::parse("Single").unwrap(),
            MaritalStatus::Single
        );
        assert!(MaritalStatus::parse("widowed").is_err());
    }

    #[test]
    fn from_stored_reads_canonical_spelling_only() {
        assert_eq!(Gender::from_stored("M"), Some(Gender::M));
        assert_eq!(
            HomeOwnerStatus::from_stored("Rent"),
            Some(HomeOwnerStatus::Rent)
        );
        assert_eq!(
            MaritalStatus::from_stored("Divorced"),
            Some(MaritalStatus::Divorced)
        );
        assert_eq!(MaritalStatus::from_stored("divorced"), None);
        assert_eq!(Gender::from_stored(""), None);
    }

    #[test]
    fn contact_type_accepts_numbers_and_names() {
        assert_eq!(ContactType::parse("1").unwrap().number(), 1);
        assert_eq!(ContactType::parse("5").unwrap().number(), 5);
        assert_eq!(ContactType::parse("vendor").unwrap().number(), 4);
        assert_eq!(ContactType::parse("EMPLOYEE").unwrap().number(), 2);
        assert_eq!(ContactType::parse("Partner").unwrap().number(), 3);
        assert_eq!(ContactType::parse("other").unwrap().number(), 5);
    }

    #[test]
    fn contact_type_refuses_other_values() {
        for bad in ["0", "6", "01", "Customer", "-1", ""] {
            assert!(ContactType::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn contact_type_defaults_to_client() {
        assert_eq!(ContactType::default().number(), 1);
    }

    #[test]
    fn new_lead_notification_levels() {
        let none = NewLeadNotification::default();
        assert_eq!(
            (none.level(), none.in_app(), none.email_and_text()),
            (0, false, false)
        );
        let app = NewLeadNotification::parse("1").unwrap();
        assert_eq!(
            (app.level(), app.in_app(), app.email_and_text()),
            (1, true, false)
        );
        let all = NewLeadNotification::parse("2").unwrap();
        assert_eq!(
            (all.level(), all.in_app(), all.email_and_text()),
            (2, true, true)
        );
        assert_eq!(NewLeadNotification::parse("0").unwrap(), none);
    }

    #[test]
    fn new_lead_notification_refuses_other_values() {
        for bad in ["3", "-1", "yes", "00"] {
            assert!(NewLeadNotification::parse(bad).is_err(), "{bad}");
        }
    }
}
