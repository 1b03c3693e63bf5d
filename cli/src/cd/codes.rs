//! The codes a CD carries: ISRC per track (ISO 3901) and the disc's UPC/EAN (GS1 check digit).

use std::fmt;

/// An International Standard Recording Code: country (2 letters), registrant (3 letters or
/// digits), year (2 digits), designation (5 digits). Stored as its 12 characters, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Isrc(String);

impl Isrc {
    /// Parses `CC-XXX-YY-NNNNN` (hyphens optional, letters in any case).
    pub fn parse(text: &str) -> Result<Self, String> {
        let bare: String = text
            .chars()
            .filter(|&c| c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let shape_ok = bare.len() == 12
            && bare.is_ascii()
            && bare[..2].chars().all(|c| c.is_ascii_uppercase())
            && bare[2..5].chars().all(|c| c.is_ascii_alphanumeric())
            && bare[5..].chars().all(|c| c.is_ascii_digit());
        let hyphens_ok = !text.contains('-') || is_hyphenated(text);
        if shape_ok && hyphens_ok {
            Ok(Self(bare))
        } else {
            Err(format!(
                "ISRC {text:?} is not CC-XXX-YY-NNNNN (country: 2 letters, registrant: 3 \
                 letters or digits, year: 2 digits, designation: 5 digits)"
            ))
        }
    }

    /// The 12 characters without hyphens (as in a DDP PQ stream and a cue sheet).
    pub fn bare(&self) -> &str {
        &self.0
    }
}

/// Hyphens exactly at `CC-XXX-YY-NNNNN`.
fn is_hyphenated(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.iter().map(|p| p.len()).eq([2, 3, 2, 5])
}

impl fmt::Display for Isrc {
    /// `CC-XXX-YY-NNNNN`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.0;
        write!(f, "{}-{}-{}-{}", &s[..2], &s[2..5], &s[5..7], &s[7..])
    }
}

/// A UPC-A (12 digits) or EAN-13 (13 digits) with a valid check digit, stored as EAN-13 (a
/// UPC-A gets its leading 0), as the disc's media catalog number carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upc(String);

impl Upc {
    /// Parses 12 or 13 digits (spaces and hyphens ignored) and checks the GS1 check digit.
    pub fn parse(text: &str) -> Result<Self, String> {
        let digits: String = text.chars().filter(|&c| c != ' ' && c != '-').collect();
        if !(digits.len() == 12 || digits.len() == 13)
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(format!(
                "UPC/EAN {text:?} is not 12 (UPC-A) or 13 (EAN-13) digits"
            ));
        }
        let ean13 = if digits.len() == 12 {
            format!("0{digits}")
        } else {
            digits
        };
        let expected = gs1_check_digit(&ean13[..12]);
        let given = ean13.as_bytes()[12] - b'0';
        if given != expected {
            return Err(format!(
                "UPC/EAN {text:?}: check digit is {given}, the other digits need {expected}"
            ));
        }
        Ok(Self(ean13))
    }

    /// The 13 digits (EAN-13).
    pub fn ean13(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Upc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// GS1 mod-10 check digit of 12 digits: weights 1, 3, 1, 3, … from the left.
fn gs1_check_digit(digits: &str) -> u8 {
    let sum: u32 = digits
        .bytes()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 1 } else { 3 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isrc_accepts_the_standard_forms() {
        let a = Isrc::parse("US-RC1-76-07839").unwrap();
        assert_eq!(a.bare(), "USRC17607839");
        assert_eq!(a.to_string(), "US-RC1-76-07839");
        assert_eq!(Isrc::parse("usrc17607839").unwrap(), a);
    }

    #[test]
    fn isrc_refuses_malformed_codes() {
        for bad in [
            "",
            "US-RC1-76-0783",
            "U1-RC1-76-07839",
            "US-RC1-7A-07839",
            "US-R_1-76-07839",
            "USR-C1-76-07839",
            "US-RC1-76-07839-1",
            "ÜS-RC1-76-0783",
        ] {
            assert!(Isrc::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn upc_and_ean_check_digits() {
        // Published examples: UPC-A 036000291452, EAN-13 4006381333931.
        assert_eq!(Upc::parse("036000291452").unwrap().ean13(), "0036000291452");
        assert_eq!(
            Upc::parse("4006381333931").unwrap().ean13(),
            "4006381333931"
        );
        assert_eq!(
            Upc::parse("4-006381-333931").unwrap().ean13(),
            "4006381333931"
        );
        let err = Upc::parse("4006381333932").unwrap_err();
        assert!(
            err.contains("check digit is 2") && err.contains("need 1"),
            "{err}"
        );
        assert!(Upc::parse("40063813339").is_err());
        assert!(Upc::parse("40063813339x1").is_err());
    }
}
