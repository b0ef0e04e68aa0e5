//! Accounts' input rules: what a sign-up, a profile change, an address or a new staff member
//! must look like before anything is stored. E-mail addresses are normalized (trimmed, lower
//! case) and checked for shape, names and address fields are trimmed and bounded, passwords
//! are bounded in characters and bytes (never trimmed), markets and regions come from the
//! regions catalog. Staff roles and what each may do are here too.
//!
//! Nothing here reads a database or a clock: the store (`core_store::accounts`) persists what
//! these checks accept.

/// Shortest password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password, in bytes: bounds the work of hashing one.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Longest email address (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;
/// Longest name (of a person or on an address), in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Most addresses one shopper keeps.
pub const MAX_ADDRESSES: i64 = 50;
/// Most street lines of an address.
pub const MAX_ADDRESS_LINES: usize = 3;

/// Why an account change was refused. Each variant has a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountRejection {
    #[error("`email` is not a valid email address")]
    InvalidEmail,
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    PasswordTooShort,
    #[error("the password must have at most {MAX_PASSWORD_BYTES} bytes")]
    PasswordTooLong,
    #[error("`{field}` is invalid: {reason}")]
    Invalid { field: String, reason: String },
    #[error("unknown market `{market}`")]
    UnknownMarket { market: String },
    #[error("market `{market}` is served from another region than the account's home region")]
    MarketInOtherRegion { market: String },
    #[error("unknown region `{region}`")]
    UnknownRegion { region: String },
    #[error("unknown role `{role}`: admin, merchandiser or support")]
    UnknownRole { role: String },
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("at most {MAX_ADDRESSES} addresses")]
    TooManyAddresses,
    #[error("the current password is incorrect")]
    WrongCurrentPassword,
    #[error("the second factor is already enrolled")]
    TotpAlreadyEnrolled,
    #[error("no second factor enrolment is in progress")]
    TotpNotStarted,
}

impl AccountRejection {
    /// The stable error code clients can rely on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidEmail => "invalid_email",
            Self::PasswordTooShort => "password_too_short",
            Self::PasswordTooLong => "password_too_long",
            Self::Invalid { .. } => "validation_failed",
            Self::UnknownMarket { .. } => "unknown_market",
            Self::MarketInOtherRegion { .. } => "market_in_other_region",
            Self::UnknownRegion { .. } => "unknown_region",
            Self::UnknownRole { .. } => "unknown_role",
            Self::EmailTaken => "email_taken",
            Self::TooManyAddresses => "too_many_addresses",
            Self::WrongCurrentPassword => "invalid_current_password",
            Self::TotpAlreadyEnrolled => "totp_already_enrolled",
            Self::TotpNotStarted => "totp_not_started",
        }
    }

    /// Whether the request conflicts with the current data (409) rather than being invalid.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::EmailTaken | Self::TooManyAddresses | Self::TotpAlreadyEnrolled | Self::TotpNotStarted)
    }
}

fn invalid(field: &str, reason: impl Into<String>) -> AccountRejection {
    AccountRejection::Invalid { field: field.into(), reason: reason.into() }
}

// ----- fields -----

/// Normalizes an email address (trimmed, lower case) and checks its shape: one `@`, a local
/// part of 1-64 bytes, a domain of dot-separated labels, no spaces or control characters.
pub fn normalize_email(raw: &str) -> Result<String, AccountRejection> {
    let email = raw.trim().to_lowercase();
    if email.len() < 3 || email.len() > MAX_EMAIL_LEN {
        return Err(AccountRejection::InvalidEmail);
    }
    let Some((local, domain)) = email.split_once('@') else { return Err(AccountRejection::InvalidEmail) };
    let forbidden = |c: char| c.is_whitespace() || c.is_control() || "@,;:<>()[]\\\"".contains(c);
    let labels_ok = domain.split('.').count() >= 2
        && domain.split('.').all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'))
        && domain.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.');
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && !local.chars().any(forbidden);
    if local_ok && labels_ok { Ok(email) } else { Err(AccountRejection::InvalidEmail) }
}

/// Checks a new password: at least [`MIN_PASSWORD_CHARS`] characters, at most
/// [`MAX_PASSWORD_BYTES`] bytes. Passwords are never trimmed or normalized.
pub fn check_password(password: &str) -> Result<(), AccountRejection> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AccountRejection::PasswordTooLong);
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AccountRejection::PasswordTooShort);
    }
    Ok(())
}

/// A required text field: trimmed, 1 to `max` characters, no control characters.
fn text(field: &str, raw: &str, max: usize) -> Result<String, AccountRejection> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if s.chars().count() > max {
        return Err(invalid(field, format!("at most {max} characters")));
    }
    if s.chars().any(char::is_control) {
        return Err(invalid(field, "must not contain control characters"));
    }
    Ok(s.to_string())
}

/// An optional text field: absent or blank is `None`.
fn optional_text(field: &str, raw: Option<&str>, max: usize) -> Result<Option<String>, AccountRejection> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => text(field, s, max).map(Some),
    }
}

/// A person's name: trimmed, 1-200 characters.
pub fn check_name(raw: &str) -> Result<String, AccountRejection> {
    text("name", raw, MAX_NAME_CHARS)
}

/// The roles of staff members.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything, including managing staff.
    Admin,
    /// The catalog, prices and promotions.
    Merchandiser,
    /// Customer support (orders, refunds as they come); not the catalog.
    Support,
}

impl Role {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "admin" => Self::Admin,
            "merchandiser" => Self::Merchandiser,
            "support" => Self::Support,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Merchandiser => "merchandiser",
            Self::Support => "support",
        }
    }

    /// Whether this role may do what `needed` may: admins may do everything, the others what
    /// their own role allows.
    pub fn allows(self, needed: Role) -> bool {
        self == Self::Admin || self == needed
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

// ----- shoppers -----

/// A checked sign-up.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub market: String,
    /// The market's region: the shopper's home region.
    pub region: String,
}

impl NewUser {
    /// Checks a sign-up (the password is checked and hashed by the caller): the email is
    /// normalized, the market must exist, and its region becomes the home region.
    pub fn check(regions: &regions::Catalog, email: &str, name: &str, market: &str) -> Result<Self, AccountRejection> {
        let email = normalize_email(email)?;
        let name = check_name(name)?;
        let market = regions
            .market(market)
            .ok_or_else(|| AccountRejection::UnknownMarket { market: market.chars().take(64).collect() })?;
        Ok(Self { email, name, market: market.id.to_string(), region: market.region.clone() })
    }
}

/// Changes to a shopper's account; `None` keeps a field.
#[derive(Clone, Debug, Default)]
pub struct UserPatch {
    pub name: Option<String>,
    /// Another market of the same region (moving regions would move every row of the shopper).
    pub market: Option<String>,
    pub email: Option<String>,
    /// A new password, hashed.
    pub password_hash: Option<String>,
}

impl UserPatch {
    /// Checks and normalizes the name and email of a patch.
    pub fn check(mut self) -> Result<Self, AccountRejection> {
        self.name = self.name.as_deref().map(check_name).transpose()?;
        self.email = self.email.as_deref().map(normalize_email).transpose()?;
        Ok(self)
    }
}

// ----- addresses -----

/// An address as a shopper gives it; [`AddressInput::check`] normalizes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddressInput {
    /// Recipient.
    pub name: String,
    /// 1 to 3 street lines.
    pub lines: Vec<String>,
    pub city: String,
    pub postal_code: Option<String>,
    /// State, province, prefecture… (free text or an ISO 3166-2 code).
    pub subdivision: Option<String>,
    /// ISO 3166-1 alpha-2, stored upper case.
    pub country: String,
    pub phone: Option<String>,
    pub is_default: bool,
}

impl AddressInput {
    /// Trims every field, drops blank street lines, upper-cases the country, and checks
    /// lengths and characters.
    pub fn check(self) -> Result<Self, AccountRejection> {
        let name = text("name", &self.name, MAX_NAME_CHARS)?;
        let lines: Vec<String> =
            self.lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).map(str::to_string).collect();
        if lines.is_empty() || lines.len() > MAX_ADDRESS_LINES {
            return Err(invalid("lines", format!("1 to {MAX_ADDRESS_LINES} street lines")));
        }
        for line in &lines {
            text("lines", line, MAX_NAME_CHARS)?;
        }
        let city = text("city", &self.city, 100)?;
        let postal_code = optional_text("postal_code", self.postal_code.as_deref(), 16)?;
        if let Some(p) = &postal_code
            && !p.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
        {
            return Err(invalid("postal_code", "letters, digits, spaces and '-'"));
        }
        let subdivision = optional_text("subdivision", self.subdivision.as_deref(), 100)?;
        let country = self.country.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(invalid("country", "an ISO 3166-1 alpha-2 code such as `FR`"));
        }
        let phone = optional_text("phone", self.phone.as_deref(), 32)?;
        if let Some(p) = &phone {
            let digits = p.chars().filter(char::is_ascii_digit).count();
            if digits < 6 || !p.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) {
                return Err(invalid("phone", "digits, spaces and + - ( ) ., at least 6 digits"));
            }
        }
        Ok(Self { name, lines, city, postal_code, subdivision, country, phone, is_default: self.is_default })
    }
}

// ----- staff -----

/// A checked new staff member.
#[derive(Clone, Debug)]
pub struct NewStaff {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub region: String,
}

impl NewStaff {
    /// Checks a new staff member (the password is checked and hashed by the caller).
    pub fn check(
        regions: &regions::Catalog,
        email: &str,
        name: &str,
        role: &str,
        region: &str,
    ) -> Result<Self, AccountRejection> {
        let email = normalize_email(email)?;
        let name = check_name(name)?;
        let role =
            Role::parse(role).ok_or_else(|| AccountRejection::UnknownRole { role: role.chars().take(64).collect() })?;
        let region = regions
            .region(region)
            .ok_or_else(|| AccountRejection::UnknownRegion { region: region.chars().take(64).collect() })?
            .id
            .clone();
        Ok(Self { email, name, role, region })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_email(input: &str, expected: Option<&str>) {
        assert_eq!(normalize_email(input).ok().as_deref(), expected, "{input:?}");
    }

    #[test]
    fn emails_are_normalized_and_checked() {
        check_email("  Ada@Example.COM ", Some("ada@example.com"));
        check_email("a.b+tag@mail.example.co.uk", Some("a.b+tag@mail.example.co.uk"));
        check_email("élodie@exemple.fr", Some("élodie@exemple.fr"));
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@@example.com",
            "a da@example.com",
            "ada@exa mple.com",
            "ada@.example.com",
            "ada@example..com",
            ".ada@example.com",
            "ada.@example.com",
            "a..da@example.com",
            "ada@-example.com",
            "<ada>@example.com",
            "ada\n@example.com",
        ] {
            check_email(bad, None);
        }
        check_email(&format!("{}@example.com", "a".repeat(65)), None);
        check_email(&format!("a@{}.com", "b".repeat(250)), None);
    }

    #[test]
    fn passwords_need_twelve_characters() {
        assert_eq!(check_password("short"), Err(AccountRejection::PasswordTooShort));
        assert_eq!(check_password("elevenchars"), Err(AccountRejection::PasswordTooShort));
        assert_eq!(check_password("twelve chars"), Ok(()));
        // Characters, not bytes: 12 accented letters pass, 11 do not.
        assert_eq!(check_password(&"é".repeat(11)), Err(AccountRejection::PasswordTooShort));
        assert_eq!(check_password(&"é".repeat(12)), Ok(()));
        assert_eq!(check_password(&"x".repeat(MAX_PASSWORD_BYTES + 1)), Err(AccountRejection::PasswordTooLong));
    }

    fn address() -> AddressInput {
        AddressInput {
            name: " Ada Lovelace ".into(),
            lines: vec!["12 rue de la Paix".into(), "  ".into()],
            city: "Paris".into(),
            postal_code: Some("75002".into()),
            subdivision: None,
            country: "fr".into(),
            phone: Some("+33 1 23 45 67 89".into()),
            is_default: true,
        }
    }

    #[test]
    fn addresses_are_normalized() {
        let a = address().check().unwrap();
        assert_eq!(a.name, "Ada Lovelace");
        assert_eq!(a.lines, vec!["12 rue de la Paix"]);
        assert_eq!(a.country, "FR");
        let blank = AddressInput { postal_code: Some(" ".into()), phone: Some(String::new()), ..address() };
        let blank = blank.check().unwrap();
        assert_eq!((blank.postal_code, blank.phone), (None, None));
    }

    #[test]
    fn bad_addresses_name_their_field() {
        let cases: Vec<(AddressInput, &str)> = vec![
            (AddressInput { name: " ".into(), ..address() }, "name"),
            (AddressInput { lines: vec![], ..address() }, "lines"),
            (AddressInput { lines: vec!["a".into(); 4], ..address() }, "lines"),
            (AddressInput { city: String::new(), ..address() }, "city"),
            (AddressInput { country: "FRA".into(), ..address() }, "country"),
            (AddressInput { country: "F1".into(), ..address() }, "country"),
            (AddressInput { postal_code: Some("75<02".into()), ..address() }, "postal_code"),
            (AddressInput { phone: Some("call me".into()), ..address() }, "phone"),
            (AddressInput { phone: Some("+33".into()), ..address() }, "phone"),
        ];
        for (input, field) in cases {
            match input.check() {
                Err(AccountRejection::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn roles_allow_their_own_work_and_admins_everything() {
        for (role, needed, allowed) in [
            (Role::Admin, Role::Merchandiser, true),
            (Role::Admin, Role::Support, true),
            (Role::Merchandiser, Role::Merchandiser, true),
            (Role::Merchandiser, Role::Admin, false),
            (Role::Support, Role::Merchandiser, false),
            (Role::Support, Role::Support, true),
        ] {
            assert_eq!(role.allows(needed), allowed, "{role} for {needed}");
        }
        assert_eq!(Role::parse("merchandiser"), Some(Role::Merchandiser));
        assert_eq!(Role::parse("root"), None);
    }
}
