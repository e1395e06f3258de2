//! Lenient phones: the common North American ways of writing a number (an
//! account setting, off by default). Spaces, `(`, `)`, `-` and `.` are removed;
//! what is left must be `+1` and ten digits, `1` and ten digits, or ten digits.
//! The result is the same ten-digit [`Phone`] the strict rule accepts.

use super::{FieldError, Phone, has_shape};

/// The characters people put between digits.
const FORMATTING: &[char] = &[' ', '(', ')', '-', '.'];

/// Parse a phone written with common formatting into its ten digits:
/// `(801) 555-0102`, `801.555.0102`, `+1 801 555 0102`, `1-801-555-0102`.
/// Anything else (too few or too many digits, letters, another country code)
/// is refused.
pub fn parse(s: &str) -> Result<Phone, FieldError> {
    let bare: String = s
        .trim()
        .chars()
        .filter(|c| !FORMATTING.contains(c))
        .collect();
    let digits = bare
        .strip_prefix("+1")
        .filter(|rest| has_shape(rest, "9999999999"))
        .or_else(|| {
            bare.strip_prefix('1')
                .filter(|rest| has_shape(rest, "9999999999"))
        })
        .unwrap_or(&bare);
    Phone::parse(digits).map_err(|_| {
        FieldError::new("must be a ten-digit North American number, like (801) 555-0102")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ten_digits(s: &str) -> Result<String, FieldError> {
        parse(s).map(|phone| phone.as_str().to_owned())
    }

    #[test]
    fn ten_plain_digits_are_kept() {
        assert_eq!(ten_digits("8015550102").as_deref(), Ok("8015550102"));
    }

    #[test]
    fn spaces_parentheses_dashes_and_dots_are_removed() {
        for written in [
            "(801) 555-0102",
            "801-555-0102",
            "801.555.0102",
            "801 555 0102",
            " (801)555 - 0102 ",
        ] {
            assert_eq!(
                ten_digits(written).as_deref(),
                Ok("8015550102"),
                "{written}"
            );
        }
    }

    #[test]
    fn a_leading_plus_one_is_dropped() {
        assert_eq!(ten_digits("+1 801 555 0102").as_deref(), Ok("8015550102"));
        assert_eq!(ten_digits("+1 (801) 555-0102").as_deref(), Ok("8015550102"));
        assert_eq!(ten_digits("+18015550102").as_deref(), Ok("8015550102"));
    }

    #[test]
    fn eleven_digits_starting_with_one_lose_the_one() {
        assert_eq!(ten_digits("1-801-555-0102").as_deref(), Ok("8015550102"));
        assert_eq!(ten_digits("18015550102").as_deref(), Ok("8015550102"));
    }

    #[test]
    fn a_plus_one_with_too_few_digits_is_refused() {
        assert!(ten_digits("+1 801 555 123").is_err());
    }

    #[test]
    fn wrong_lengths_and_other_country_codes_are_refused() {
        for written in [
            "",
            "555-0102",
            "801555010",
            "80155501023",
            "28015550102",
            "+2 801 555 0102",
            "+44 20 7946 0958",
            "11 801 555 0102",
            "+1 1 801 555 0102",
        ] {
            assert!(ten_digits(written).is_err(), "{written}");
        }
    }

    #[test]
    fn other_characters_are_not_removed() {
        for written in [
            "801/555/0102",
            "801_555_0102",
            "(801) 555-0102 x12",
            "８０１５５５０１０２",
        ] {
            assert!(ten_digits(written).is_err(), "{written}");
        }
    }

    #[test]
    fn a_plus_without_the_one_is_refused() {
        assert!(ten_digits("+8015550102").is_err());
    }
}
