//! The control fields a form carries for the spam checks rather than as lead data: the fill-time
//! field, the CAPTCHA tokens and every `_lp_*` name. The checks and the settings both read them.

/// The field carrying the milliseconds between page load and submit.
pub const FILL_TIME_FIELD: &str = "_lp_t";
/// The CAPTCHA token fields of Turnstile, hCaptcha and reCAPTCHA: never custom fields.
pub const CAPTCHA_TOKEN_FIELDS: [&str; 3] = [
    "cf-turnstile-response",
    "h-captcha-response",
    "g-recaptcha-response",
];

/// Whether a posted field steers the spam checks rather than carrying lead data: `_lp_*` names and
/// the CAPTCHA token fields. Such fields never become custom fields.
pub fn is_control_field(name: &str) -> bool {
    name.starts_with("_lp_") || CAPTCHA_TOKEN_FIELDS.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_fields_are_lp_names_and_captcha_tokens() {
        for name in ["_lp_hp", "_lp_t", "_lp_anything", "cf-turnstile-response"] {
            assert!(is_control_field(name), "{name}");
        }
        assert!(is_control_field("h-captcha-response"));
        assert!(is_control_field("g-recaptcha-response"));
        for name in ["lp_hp", "_LP_hp", "email", "website"] {
            assert!(!is_control_field(name), "{name}");
        }
    }
}
