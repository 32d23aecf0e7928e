//! A fast path for the phone numbers a bulk import is made of: `+` and digits (E.164, perhaps
//! with spaces or hyphens between groups), or the national digits of the tenant's country.
//!
//! libphonenumber's parser (the `phonenumber` crate) reads any text a person may type and
//! spends most of a row's validation time doing so. This path reads only the plain forms,
//! follows the same steps the parser takes for them, and checks the digits against the same
//! metadata with the same patterns. It answers only "valid, and this is its E.164 form";
//! whenever a step of the parser could change the digits (an international or national prefix,
//! a country code typed in front of a national number) or the number is not valid, it answers
//! nothing and the full parser decides, so every error message stays the parser's. A
//! differential test over generated numbers holds the two to the same answers.

use phonenumber::Metadata;
use phonenumber::metadata::{DATABASE, Database};

use crate::tenant::Country;

/// libphonenumber's shortest national significant number, E.164's longest (the parser's own
/// bound, 17, admits numbers its 56-bit store refuses), and its longest country code.
const NSN_MIN: usize = 2;
const NSN_MAX: usize = 15;
const COUNTRY_CODE_MAX: usize = 3;

/// The number's E.164 form when it is certainly valid; `None` when the full parser must decide.
pub(crate) fn valid_e164(raw: &str, country: Country) -> Option<String> {
    let database: &Database = &DATABASE;
    let home = database.by_id(country.code())?;
    let (plus, digits) = plain_digits(raw)?;
    if home
        .international_prefix()
        .and_then(|re| re.find(&digits))
        .is_some_and(|m| m.start() == 0)
    {
        return None;
    }
    let (code, national) = if plus {
        split_country_code(database, &digits)?
    } else {
        // The parser strips a country code typed in front of a national number.
        let code = home.country_code();
        if digits.starts_with(&code.to_string()) {
            return None;
        }
        (code, digits.as_str())
    };
    // The parser strips a national prefix (and a carrier code) by the home country's rules,
    // even after a `+`.
    if home
        .national_prefix()
        .is_some_and(|p| national.starts_with(p))
        || home
            .national_prefix_for_parsing()
            .and_then(|re| re.find(national))
            .is_some_and(|m| m.start() == 0)
    {
        return None;
    }
    if !(NSN_MIN..=NSN_MAX).contains(&national.len()) {
        return None;
    }
    let region = region_for(database, code, national)?;
    is_known_type(region, national).then(|| format!("+{code}{national}"))
}

/// `+` (or not) and the digits, when the text is only digits grouped by single spaces or
/// hyphens; `None` for anything the parser would have to interpret.
fn plain_digits(raw: &str) -> Option<(bool, String)> {
    let (plus, rest) = match raw.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    let bytes = rest.as_bytes();
    if !bytes.first()?.is_ascii_digit() || !bytes.last()?.is_ascii_digit() {
        return None;
    }
    let mut digits = String::with_capacity(bytes.len());
    let mut after_separator = false;
    for &b in bytes {
        match b {
            b'0'..=b'9' => {
                digits.push(char::from(b));
                after_separator = false;
            }
            b' ' | b'-' if !after_separator => after_separator = true,
            _ => return None,
        }
    }
    Some((plus, digits))
}

/// The parser's country code: the shortest prefix of the digits that is a calling code.
fn split_country_code<'a>(database: &Database, digits: &'a str) -> Option<(u16, &'a str)> {
    if digits.starts_with('0') {
        return None;
    }
    (1..=COUNTRY_CODE_MAX.min(digits.len())).find_map(|len| {
        let code: u16 = digits[..len].parse().ok()?;
        database
            .by_code(&code)
            .is_some()
            .then(|| (code, &digits[len..]))
    })
}

/// The region whose metadata decides validity, as libphonenumber picks it among the regions
/// sharing a calling code (leading digits first, else the first region the number fits).
fn region_for<'d>(database: &'d Database, code: u16, national: &str) -> Option<&'d Metadata> {
    let regions = database.region(&code)?;
    if let [only] = regions.as_slice() {
        return if *only == "001" {
            database.by_code(&code)?.into_iter().next()
        } else {
            database.by_id(*only)
        };
    }
    regions.into_iter().find_map(|id| {
        let meta = database.by_id(id)?;
        let fits = match meta.leading_digits() {
            Some(pattern) => pattern.find(national).is_some_and(|m| m.start() == 0),
            None => is_known_type(meta, national),
        };
        fits.then_some(meta)
    })
}

/// Whether the national number is of any type the region numbers (libphonenumber's
/// `number_type(..) != Unknown`).
fn is_known_type(meta: &Metadata, national: &str) -> bool {
    let d = meta.descriptors();
    d.general().is_match(national)
        && [
            d.premium_rate(),
            d.toll_free(),
            d.shared_cost(),
            d.voip(),
            d.personal_number(),
            d.pager(),
            d.uan(),
            d.voicemail(),
            d.fixed_line(),
            d.mobile(),
        ]
        .into_iter()
        .flatten()
        .any(|desc| desc.is_match(national))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::values::parse_phone;

    /// A small deterministic generator (xorshift64*): the same million cases on every run.
    struct Cases(u64);

    impl Cases {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn digit(&mut self) -> char {
            char::from(b'0' + self.below(10) as u8)
        }
    }

    fn regions() -> Vec<(Country, &'static Metadata)> {
        DATABASE
            .iter()
            .filter_map(|meta| Some((Country::parse(meta.id())?, meta)))
            .collect()
    }

    /// A national number near the region's own: an example of one of its types, perhaps with a
    /// digit changed, added or dropped, or random digits of a plausible length.
    fn national(cases: &mut Cases, meta: &Metadata) -> String {
        let d = meta.descriptors();
        let examples: Vec<&str> = [
            d.fixed_line(),
            d.mobile(),
            d.toll_free(),
            d.premium_rate(),
            d.voip(),
            d.uan(),
            d.pager(),
        ]
        .into_iter()
        .flatten()
        .filter_map(|desc| desc.example())
        .collect();
        let mut digits: Vec<char> = match examples.len() {
            0 => Vec::new(),
            n => examples[cases.below(n)].chars().collect(),
        };
        match cases.below(10) {
            0..=3 => {}
            4..=5 if !digits.is_empty() => {
                let at = cases.below(digits.len());
                digits[at] = cases.digit();
            }
            6 => digits.push(cases.digit()),
            7 if !digits.is_empty() => {
                digits.pop();
            }
            _ => {
                let len = 2 + cases.below(15);
                digits = (0..len).map(|_| cases.digit()).collect();
            }
        }
        // Vary the number of the example (the last digits) so numbers differ.
        let tail = digits.len().saturating_sub(4);
        for d in digits.iter_mut().skip(tail) {
            *d = cases.digit();
        }
        digits.into_iter().collect()
    }

    /// The number as someone may type it: E.164, grouped, national, with a national or
    /// international prefix, a country code without `+`, or with characters only the full
    /// parser reads.
    fn typed(cases: &mut Cases, meta: &Metadata, national: &str) -> String {
        let code = meta.country_code();
        let grouped = |cases: &mut Cases, s: &str| {
            let sep = if cases.below(2) == 0 { ' ' } else { '-' };
            s.chars()
                .enumerate()
                .flat_map(|(i, c)| (i > 0 && i % 3 == 0).then_some(sep).into_iter().chain([c]))
                .collect::<String>()
        };
        match cases.below(12) {
            0..=3 => format!("+{code}{national}"),
            4 => format!("+{code} {}", grouped(cases, national)),
            5..=6 => national.to_owned(),
            7 => grouped(cases, national),
            8 => format!("{}{national}", meta.national_prefix().unwrap_or("0")),
            9 => format!("{}{code}{national}", ["00", "011", "810"][cases.below(3)]),
            10 => format!("{code}{national}"),
            _ => [
                format!("({code}) {national}"),
                format!("+{code}.{national}"),
                format!("+{code}{national} x12"),
                format!(" +{code}{national}"),
                format!("+{code}--{national}"),
                format!("+{code}{national}-"),
                format!("+0{code}{national}"),
                format!("tel:+{code}{national}"),
            ][cases.below(8)]
            .clone(),
        }
    }

    /// How many numbers the differential test draws: 1,000,000 in the recorded run
    /// (the default; `ROSTER_PHONE_CASES=N` draws N, e.g. for a quick run while editing;
    /// docs/benchmarks.md has the figures).
    fn cases_to_run() -> usize {
        std::env::var("ROSTER_PHONE_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(DEFAULT_CASES)
    }

    const DEFAULT_CASES: usize = 1_000_000;

    /// The fast path never disagrees with libphonenumber: where it answers, the full parser
    /// finds the same number valid with the same E.164 form.
    #[test]
    fn the_fast_path_agrees_with_the_full_parser() {
        let regions = regions();
        assert!(
            regions.len() > 200,
            "the metadata lists {} regions",
            regions.len()
        );
        let mut cases = Cases(0x005E_ED0F_2026);
        let (mut fast, mut valid) = (0usize, 0usize);
        // libphonenumber keeps its compiled patterns in a 100-entry LRU cache, so cases come in
        // blocks of one region (tenants at home, or in one other region) as an import's do;
        // random regions would recompile patterns on nearly every number.
        for case in 0..cases_to_run() {
            let block = case / 1_000;
            let (home, meta) = regions[block % regions.len()];
            let tenant = if cases.below(10) < 7 {
                home
            } else {
                regions[(block * 7 + 3) % regions.len()].0
            };
            let national = national(&mut cases, meta);
            let raw = typed(&mut cases, meta, &national);
            let full = parse_phone(&raw, tenant);
            valid += usize::from(full.is_ok());
            if let Some(e164) = valid_e164(&raw, tenant) {
                fast += 1;
                assert_eq!(
                    full.as_ref().map(|p| p.as_str()),
                    Ok(e164.as_str()),
                    "{raw:?} for a tenant in {tenant}"
                );
            }
        }
        // The generator must reach both paths: most valid numbers take the fast one.
        let drawn = cases_to_run();
        println!("{drawn} numbers: {valid} valid by the full parser, {fast} on the fast path");
        assert!(
            valid > drawn * 3 / 10 && fast > valid / 2,
            "{drawn} drawn, {valid} valid, {fast} fast"
        );
    }

    #[test]
    fn plain_forms_take_the_fast_path_and_others_do_not() {
        let us = Country::US;
        let gb = Country::parse("GB").unwrap();
        assert_eq!(
            valid_e164("+12015550123", us).as_deref(),
            Some("+12015550123")
        );
        assert_eq!(
            valid_e164("+1 201-555-0123", us).as_deref(),
            Some("+12015550123")
        );
        assert_eq!(
            valid_e164("2015550123", us).as_deref(),
            Some("+12015550123")
        );
        assert_eq!(
            valid_e164("+447912345678", us).as_deref(),
            Some("+447912345678")
        );
        // A national prefix, an IDD, a parenthesis, an invalid number: the full parser decides.
        assert_eq!(valid_e164("07700900123", gb), None);
        assert_eq!(valid_e164("011447700900123", us), None);
        assert_eq!(valid_e164("(201) 555-0123", us), None);
        assert_eq!(valid_e164("+1201555012", us), None);
        assert_eq!(valid_e164("+1  2015550123", us), None);
    }
}
