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

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};

use phonenumber::Metadata;
use phonenumber::metadata::{DATABASE, Descriptor};
use regex::{Regex, RegexBuilder};

use crate::tenant::Country;

/// libphonenumber's shortest national significant number, E.164's longest (the parser's own
/// bound, 17, admits numbers its 56-bit store refuses), and its longest country code.
const NSN_MIN: usize = 2;
const NSN_MAX: usize = 15;
const COUNTRY_CODE_MAX: usize = 3;

/// The number's E.164 form when it is certainly valid; `None` when the full parser must decide.
pub(crate) fn valid_e164(raw: &str, country: Country) -> Option<String> {
    let table = &*TABLE;
    let home = table.home(country)?;
    let (plus, digits) = plain_digits(raw)?;
    let home_rules = home.rules()?;
    if home_rules
        .international_prefix
        .as_ref()
        .is_some_and(|re| re.is_match(&digits))
    {
        return None;
    }
    let (code, national) = if plus {
        table.split_country_code(&digits)?
    } else {
        // The parser strips a country code typed in front of a national number.
        let code = home.meta.country_code();
        if digits.starts_with(&*home.code_digits) {
            return None;
        }
        (code, digits.as_str())
    };
    // The parser strips a national prefix (and a carrier code) by the home country's rules,
    // even after a `+`.
    if home
        .meta
        .national_prefix()
        .is_some_and(|p| national.starts_with(p))
        || home_rules
            .national_prefix_for_parsing
            .as_ref()
            .is_some_and(|re| re.is_match(national))
    {
        return None;
    }
    if !(NSN_MIN..=NSN_MAX).contains(&national.len()) {
        return None;
    }
    let region = table.region_for(code, national)?;
    region
        .rules()?
        .is_known_type(national)
        .then(|| format!("+{code}{national}"))
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

/// libphonenumber's metadata arranged for this path, built once per process.
///
/// The crate's own lookups allocate a `Vec` per call and its patterns live in a shared
/// 100-entry LRU cache that hashes each pattern's text on every match (a third of an import's
/// validation time, measured with perf); here every region's patterns are compiled once, on
/// first use, and found by index.
static TABLE: LazyLock<Table> = LazyLock::new(Table::build);

struct Table {
    regions: Vec<Region>,
    by_country: HashMap<&'static str, usize>,
    /// Each calling code's regions in the order libphonenumber tries them.
    by_code: HashMap<u16, Vec<usize>>,
}

struct Region {
    meta: &'static Metadata,
    /// The calling code as text, to see it typed in front of a national number.
    code_digits: String,
    rules: OnceLock<Option<Rules>>,
}

/// A region's patterns, anchored at the start as the crate matches them (`find` at 0).
struct Rules {
    international_prefix: Option<Regex>,
    national_prefix_for_parsing: Option<Regex>,
    leading_digits: Option<Regex>,
    general: Pattern,
    types: Vec<Pattern>,
}

/// A number type: its possible lengths (empty: any) and its national-number pattern.
struct Pattern {
    lengths: Vec<u16>,
    national_number: Regex,
}

impl Table {
    fn build() -> Self {
        let database: &'static phonenumber::metadata::Database = &DATABASE;
        let mut regions = Vec::new();
        let mut index_of = HashMap::<*const Metadata, usize>::new();
        let mut index = |meta: &'static Metadata| {
            *index_of.entry(std::ptr::from_ref(meta)).or_insert_with(|| {
                regions.push(Region {
                    meta,
                    code_digits: meta.country_code().to_string(),
                    rules: OnceLock::new(),
                });
                regions.len() - 1
            })
        };
        let by_country = database
            .iter()
            .map(|meta| (meta.id(), index(meta)))
            .collect();
        let mut by_code = HashMap::new();
        for code in 1..10u16.pow(COUNTRY_CODE_MAX as u32) {
            let Some(ids) = database.region(&code) else {
                continue;
            };
            // A non-geographic code ("001") has entries by code only; the parser takes the first.
            let metas: Vec<&'static Metadata> = match ids.as_slice() {
                ["001"] => database
                    .by_code(&code)
                    .into_iter()
                    .flatten()
                    .take(1)
                    .collect(),
                _ => ids.iter().filter_map(|id| database.by_id(*id)).collect(),
            };
            by_code.insert(code, metas.into_iter().map(&mut index).collect());
        }
        Table {
            regions,
            by_country,
            by_code,
        }
    }

    fn home(&self, country: Country) -> Option<&Region> {
        self.by_country
            .get(country.code())
            .map(|&i| &self.regions[i])
    }

    /// The parser's country code: the shortest prefix of the digits that is a calling code.
    fn split_country_code<'a>(&self, digits: &'a str) -> Option<(u16, &'a str)> {
        if digits.starts_with('0') {
            return None;
        }
        (1..=COUNTRY_CODE_MAX.min(digits.len())).find_map(|len| {
            let code: u16 = digits[..len].parse().ok()?;
            self.by_code
                .contains_key(&code)
                .then(|| (code, &digits[len..]))
        })
    }

    /// The region whose metadata decides validity, as libphonenumber picks it among the
    /// regions sharing a calling code (leading digits first, else the first region the number
    /// fits).
    fn region_for(&self, code: u16, national: &str) -> Option<&Region> {
        let candidates = self.by_code.get(&code)?;
        if let [only] = candidates.as_slice() {
            return Some(&self.regions[*only]);
        }
        candidates.iter().find_map(|&i| {
            let region = &self.regions[i];
            let rules = region.rules()?;
            let fits = match &rules.leading_digits {
                Some(re) => re.is_match(national),
                None => rules.is_known_type(national),
            };
            fits.then_some(region)
        })
    }
}

impl Region {
    /// `None` when a pattern does not compile as written here: the full parser then decides.
    fn rules(&self) -> Option<&Rules> {
        self.rules
            .get_or_init(|| Rules::compile(self.meta))
            .as_ref()
    }
}

impl Rules {
    fn compile(meta: &Metadata) -> Option<Self> {
        let anchored = |source: &str| {
            RegexBuilder::new(&format!("^(?:{source}\n)"))
                .ignore_whitespace(true)
                .build()
                .ok()
        };
        let optional = |source: Option<&str>| match source {
            Some(source) => anchored(source).map(Some),
            None => Some(None),
        };
        let pattern = |desc: &Descriptor| {
            Some(Pattern {
                lengths: desc.possible_length().to_vec(),
                national_number: anchored(desc.national_number().as_str())?,
            })
        };
        let d = meta.descriptors();
        Some(Rules {
            international_prefix: optional(meta.international_prefix().map(|re| re.as_str()))?,
            national_prefix_for_parsing: optional(
                meta.national_prefix_for_parsing().map(|re| re.as_str()),
            )?,
            leading_digits: optional(meta.leading_digits().map(|re| re.as_str()))?,
            general: pattern(d.general())?,
            types: [
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
            .map(pattern)
            .collect::<Option<_>>()?,
        })
    }

    /// Whether the national number is of any type the region numbers (libphonenumber's
    /// `number_type(..) != Unknown`).
    fn is_known_type(&self, national: &str) -> bool {
        self.general.is_match(national) && self.types.iter().any(|t| t.is_match(national))
    }
}

impl Pattern {
    /// The crate's `Descriptor::is_match`: a possible length, and the pattern from the start.
    fn is_match(&self, national: &str) -> bool {
        (self.lengths.is_empty() || self.lengths.contains(&(national.len() as u16)))
            && self.national_number.is_match(national)
    }
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
        for (raw, e164) in [
            ("+12015550123", "+12015550123"),
            ("+1 201-555-0123", "+12015550123"),
            ("2015550123", "+12015550123"),
            ("+447912345678", "+447912345678"),
        ] {
            assert_eq!(valid_e164(raw, us).as_deref(), Some(e164), "{raw}");
        }
        // A national prefix, an IDD, a parenthesis, an invalid number: the full parser decides.
        assert_eq!(valid_e164("07700900123", gb), None);
        assert_eq!(valid_e164("011447700900123", us), None);
        assert_eq!(valid_e164("(201) 555-0123", us), None);
        assert_eq!(valid_e164("+1201555012", us), None);
        assert_eq!(valid_e164("+1  2015550123", us), None);
    }
}
