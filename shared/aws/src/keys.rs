//! The single-table key layout: the one place that knows how items are keyed.
//!
//! Every key starts with `T#{tenant}`, and tenant ids cannot contain `#` ([`TenantId`]), so no
//! key built here can reach another tenant's items whatever ids a caller sends.
//!
//! | access pattern                      | table / index      | partition key                    | sort key                 |
//! |-------------------------------------|--------------------|----------------------------------|--------------------------|
//! | user by id                          | table              | `T#{t}#U#{user}`                 | `USER`                   |
//! | user by login (any case)            | table (claim)      | `T#{t}#LOGIN#{login lower}`      | `CLAIM` → `user_id`      |
//! | user by e-mail (any case)           | table (claim)      | `T#{t}#EMAIL#{email lower}`      | `CLAIM` → `user_id`      |
//! | list users, newest id last          | `by_tenant`        | `T#{t}#USERS#{shard 0..4}`       | `{user id}`              |
//! | list users of a department          | `by_department`    | `T#{t}#D#{dept}#{shard 0..4}`    | `{user id}`              |
//! | search first name by prefix         | `search_first_name`| `T#{t}#FN#{first char}`          | `{term}\x01{user id}`    |
//! | search last name by prefix          | `search_last_name` | `T#{t}#LN#{first char}`          | `{term}\x01{user id}`    |
//! | search e-mail by prefix             | `search_email`     | `T#{t}#EM#{first char}`          | `{term}\x01{user id}`    |
//! | search login by prefix              | `search_login`     | `T#{t}#LG#{first char}`          | `{term}\x01{user id}`    |
//! | users in the global address book    | `by_address_book`  | `T#{t}#BOOK#{shard 0..4}`        | `{user id}`              |
//! | user by device extension            | table (claim)      | `T#{t}#EXT#{extension}`          | `CLAIM` → `user_id`      |
//! | user by device MAC address          | table (claim)      | `T#{t}#MAC#{aa:bb:…}`            | `CLAIM` → `user_id`      |
//! | departments of a tenant             | table              | `T#{t}#DEPTS`                    | `D#{dept}`               |
//! | groups of a tenant                  | table              | `T#{t}#GROUPS`                   | `G#{group}`              |
//! | a user's membership of a group      | table              | `T#{t}#U#{user}`                 | `GROUP#{group}`          |
//! | members of a group                  | `by_tenant`        | `T#{t}#GM#{group}#{shard 0..4}`  | `{user id}`              |
//! | shared contacts of a tenant         | table              | `T#{t}#SHARED`                   | `C#{contact}`            |
//! | name of a department / pick entry   | table (claim)      | `T#{t}#NAME#{list}#{name lower}` | `CLAIM` → `id`           |
//! | pick list (locations, job descr.)   | table              | `T#{t}#PICK#{list}`              | `E#{entry}`              |
//! | older status changes of a user      | table              | `T#{t}#U#{user}`                 | `STATUS#{at}#{status}`   |
//! | tenant settings                     | table              | `T#{t}`                          | `SETTINGS`               |
//! | import job by id                    | table              | `T#{t}#J#{job}`                  | `JOB`                    |
//! | a share of a job split across workers | table            | `T#{t}#J#{job}`                  | `SHARE#{000–999}`        |
//! | import jobs by upload date range    | `by_tenant`        | `T#{t}#JOBS`                     | `{uploaded_at}#{job}`    |
//! | jobs and shares with work left (sweep) | `by_department` | `LIVE_JOBS` (sparse, global)     | `{t}#{job}[#{share}]`    |
//! | export job by id                    | table              | `T#{t}#X#{export}`               | `EXPORT`                 |
//! | activation code of a user (TTL)     | table              | `T#{t}#U#{user}`                 | `ACTIVATION`             |
//! | failed activations of a login (TTL)  | table              | `T#{t}#AFAIL#{login lower}`      | `AFAIL#{yyyymmddhh}`     |
//! | a department's member counter (×16)  | table              | `T#{t}#DEPTN#{dept}#{0–15}`      | `DEPTN`                  |
//! | imports holding the departments     | table              | `T#{t}#IMPORTING`                | `HOLD` (set `jobs`)      |
//! | saved search position (TTL an hour)  | table              | `T#{t}#SCUR#{random id}`         | `SCUR`                   |
//! | failed activations of a source (TTL) | table              | `ASRC#{address}`                 | `ASRC#{yyyymmddhh}`      |
//! | activation request log (TTL)        | table              | `T#{t}#AREQ#{request id}`        | `AREQ`                   |
//! | SCIM tokens of a tenant (hashed)    | table              | `T#{t}#SCIMTOKENS`               | `K#{token id}`           |
//!
//! Why this shape:
//! - Each user, claim and code has its own partition key, so a bulk import spreads its table
//!   writes over as many partitions as it has users.
//! - The list indexes are write-sharded ([`USER_SHARDS`] partitions per tenant or department,
//!   by a hash of the user id): one partition takes at most 1,000 WCU/s, and an import of
//!   thousands of users per second into one tenant would otherwise throttle on that one key.
//!   A listing queries every shard and merges by user id (ULIDs sort by creation).
//! - A group's membership items sit in their users' partitions and are listed through
//!   `by_tenant` under a sharded group partition: adding 100k users to one group spreads over
//!   100k table partitions and [`USER_SHARDS`] index partitions.
//! - `by_address_book` is sparse: only users who opted in carry its key.
//! - The search indexes partition by the first character of the term, which spreads writes
//!   over the alphabet while keeping every prefix query inside one partition.
//! - A term that begins another term of the same user (the login `jsmith` or the first name
//!   `John` of `jsmith@acme.com` / `john.smith@acme.com`) has no entry: every prefix of it is
//!   a prefix of the longer term, whose entry finds the user (one write less each;
//!   [`search_entries`]).
//! - Search index entries carry the four terms (INCLUDE projection) so a user matched by two
//!   fields is returned once without extra reads (see `users::search`).
//! - Users an import creates are not on their department's member counters (two write
//!   units less each): the job's entry in the tenant's `IMPORTING` hold stands in for them,
//!   and a department delete checks the hold in its transaction.
//! - `expires_at` (epoch seconds) is the table's TTL attribute.

use roster_domain::ids::{
    DepartmentId, ExportJobId, GroupId, ImportJobId, ScimTokenId, SharedContactId, TenantId, UserId,
};
use roster_domain::pick_list::PickListKind;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const TTL_ATTRIBUTE: &str = "expires_at";

/// The one partition listing jobs with work left, across tenants: only the worker's sweep
/// reads it, and it holds a few items per running job (writes: a job's status changes).
pub fn live_job_partition() -> &'static str {
    "LIVE_JOBS"
}

pub fn live_job(t: &TenantId, job: &ImportJobId, share: Option<u32>) -> (String, String) {
    let sk = match share {
        Some(k) => format!("{t}#{job}#{k:03}"),
        None => format!("{t}#{job}"),
    };
    (live_job_partition().to_owned(), sk)
}

/// Partitions each tenant's (and each department's) user list is spread over.
pub const USER_SHARDS: u32 = 4;

/// A global secondary index and its key attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Index {
    pub name: &'static str,
    pub pk: &'static str,
    pub sk: &'static str,
}

pub const BY_TENANT: Index = Index {
    name: "by_tenant",
    pk: "list_pk",
    sk: "list_sk",
};
pub const BY_DEPARTMENT: Index = Index {
    name: "by_department",
    pk: "dept_pk",
    sk: "dept_sk",
};
pub const BY_ADDRESS_BOOK: Index = Index {
    name: "by_address_book",
    pk: "book_pk",
    sk: "book_sk",
};

/// The four searchable fields, in the order that breaks ties between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SearchField {
    FirstName,
    LastName,
    Email,
    Login,
}

impl SearchField {
    pub const ALL: [SearchField; 4] = [
        SearchField::FirstName,
        SearchField::LastName,
        SearchField::Email,
        SearchField::Login,
    ];

    pub fn index(self) -> Index {
        match self {
            SearchField::FirstName => Index {
                name: "search_first_name",
                pk: "fn_pk",
                sk: "fn_sk",
            },
            SearchField::LastName => Index {
                name: "search_last_name",
                pk: "ln_pk",
                sk: "ln_sk",
            },
            SearchField::Email => Index {
                name: "search_email",
                pk: "em_pk",
                sk: "em_sk",
            },
            SearchField::Login => Index {
                name: "search_login",
                pk: "lg_pk",
                sk: "lg_sk",
            },
        }
    }

    fn tag(self) -> &'static str {
        match self {
            SearchField::FirstName => "FN",
            SearchField::LastName => "LN",
            SearchField::Email => "EM",
            SearchField::Login => "LG",
        }
    }

    pub fn rank(self) -> u8 {
        self as u8
    }
}

/// Every index of the table: the template must declare exactly these (tested).
pub fn all_indexes() -> Vec<Index> {
    let mut all = vec![BY_TENANT, BY_DEPARTMENT, BY_ADDRESS_BOOK];
    all.extend(SearchField::ALL.iter().map(|f| f.index()));
    all
}

/// Separates the term from the user id in search sort keys; sorts before any text character,
/// so all entries of one term sit together, ordered by user id.
pub const TERM_SEPARATOR: char = '\u{1}';
/// Sorts after every entry of a term and before any longer term.
pub const AFTER_TERM: char = '\u{2}';
/// Sorts after every string that starts with a given prefix.
pub const AFTER_PREFIX: char = '\u{10FFFF}';

fn tenant(t: &TenantId) -> String {
    format!("T#{t}")
}

pub fn user(t: &TenantId, id: &UserId) -> (String, String) {
    (format!("{}#U#{id}", tenant(t)), "USER".to_owned())
}

pub fn login_claim(t: &TenantId, login_key: &str) -> (String, String) {
    (
        format!("{}#LOGIN#{login_key}", tenant(t)),
        "CLAIM".to_owned(),
    )
}

pub fn email_claim(t: &TenantId, email_key: &str) -> (String, String) {
    (
        format!("{}#EMAIL#{email_key}", tenant(t)),
        "CLAIM".to_owned(),
    )
}

pub fn department(t: &TenantId, id: &DepartmentId) -> (String, String) {
    (format!("{}#DEPTS", tenant(t)), format!("D#{id}"))
}

pub fn departments_partition(t: &TenantId) -> String {
    format!("{}#DEPTS", tenant(t))
}

/// Which list a name claim belongs to: names are unique per list and tenant, in any case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedList {
    Departments,
    Groups,
    Pick(PickListKind),
}

impl NamedList {
    fn tag(self) -> &'static str {
        match self {
            NamedList::Departments => "department",
            NamedList::Groups => "group",
            NamedList::Pick(kind) => kind.as_str(),
        }
    }
}

pub fn name_claim(t: &TenantId, list: NamedList, name: &str) -> (String, String) {
    (
        format!("{}#NAME#{}#{}", tenant(t), list.tag(), name.to_lowercase()),
        "CLAIM".to_owned(),
    )
}

pub fn groups_partition(t: &TenantId) -> String {
    format!("{}#GROUPS", tenant(t))
}

pub fn group(t: &TenantId, id: &GroupId) -> (String, String) {
    (groups_partition(t), format!("G#{id}"))
}

/// A user's membership of a group: in the user's partition, so it goes with the user.
pub fn membership(t: &TenantId, user: &UserId, group: &GroupId) -> (String, String) {
    (user_partition(t, user), format!("GROUP#{group}"))
}

pub fn group_member_partition(t: &TenantId, group: &GroupId, shard: u32) -> String {
    format!("{}#GM#{group}#{shard}", tenant(t))
}

pub fn extension_claim(t: &TenantId, extension: &str) -> (String, String) {
    (format!("{}#EXT#{extension}", tenant(t)), "CLAIM".to_owned())
}

pub fn mac_claim(t: &TenantId, mac: &str) -> (String, String) {
    (format!("{}#MAC#{mac}", tenant(t)), "CLAIM".to_owned())
}

pub fn scim_tokens_partition(t: &TenantId) -> String {
    format!("{}#SCIMTOKENS", tenant(t))
}

pub fn scim_token(t: &TenantId, id: &ScimTokenId) -> (String, String) {
    (scim_tokens_partition(t), format!("K#{id}"))
}

pub fn shared_contacts_partition(t: &TenantId) -> String {
    format!("{}#SHARED", tenant(t))
}

pub fn shared_contact(t: &TenantId, id: &SharedContactId) -> (String, String) {
    (shared_contacts_partition(t), format!("C#{id}"))
}

pub fn address_book_partition(t: &TenantId, shard: u32) -> String {
    format!("{}#BOOK#{shard}", tenant(t))
}

pub fn pick_list_partition(t: &TenantId, kind: PickListKind) -> String {
    format!("{}#PICK#{}", tenant(t), kind.as_str())
}

pub fn pick_entry(t: &TenantId, kind: PickListKind, id: &str) -> (String, String) {
    (pick_list_partition(t, kind), format!("E#{id}"))
}

/// The partition of a user's own items (the user, its activation code, older status changes).
pub fn user_partition(t: &TenantId, id: &UserId) -> String {
    user(t, id).0
}

/// Sort-key prefix of the status changes that no longer fit on the user item.
pub const STATUS_CHANGE_PREFIX: &str = "STATUS#";

pub fn status_change(
    t: &TenantId,
    id: &UserId,
    at: OffsetDateTime,
    status: &str,
) -> (String, String) {
    (
        user_partition(t, id),
        format!("{STATUS_CHANGE_PREFIX}{}#{status}", sortable_time(at)),
    )
}

pub fn settings(t: &TenantId) -> (String, String) {
    (tenant(t), "SETTINGS".to_owned())
}

pub fn import_job(t: &TenantId, id: &ImportJobId) -> (String, String) {
    (format!("{}#J#{id}", tenant(t)), "JOB".to_owned())
}

/// The record of share `index` of a job: beside the job, never on the tenant's job list.
pub fn import_share(t: &TenantId, id: &ImportJobId, index: u32) -> (String, String) {
    (format!("{}#J#{id}", tenant(t)), format!("SHARE#{index:03}"))
}

pub fn export_job(t: &TenantId, id: &ExportJobId) -> (String, String) {
    (format!("{}#X#{id}", tenant(t)), "EXPORT".to_owned())
}

pub fn activation_code(t: &TenantId, user_id: &UserId) -> (String, String) {
    (
        format!("{}#U#{user_id}", tenant(t)),
        "ACTIVATION".to_owned(),
    )
}

/// A saved search position (TTL an hour), by its random id.
pub fn search_cursor(t: &TenantId, id: &str) -> (String, String) {
    (format!("{}#SCUR#{id}", tenant(t)), "SCUR".to_owned())
}

/// Failed activations of a login in one hour (`yyyymmddhh`), TTL a day.
pub fn failed_login(t: &TenantId, login_key: &str, hour: &str) -> (String, String) {
    (
        format!("{}#AFAIL#{login_key}", tenant(t)),
        format!("AFAIL#{hour}"),
    )
}

/// Failed activations from one source address in one hour: across tenants, as an attacker
/// spraying logins is, so it is the one key outside every tenant's prefix.
pub fn failed_source(source: &str, hour: &str) -> (String, String) {
    (format!("ASRC#{source}"), format!("ASRC#{hour}"))
}

pub fn activation_request(t: &TenantId, request_id: &str) -> (String, String) {
    (
        format!("{}#AREQ#{request_id}", tenant(t)),
        "AREQ".to_owned(),
    )
}

/// FNV-1a of the id: stable across processes and releases, unlike `std`'s hasher.
fn fnv(id: &UserId) -> u32 {
    id.to_string().bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

pub fn shard_of(id: &UserId) -> u32 {
    fnv(id) % USER_SHARDS
}

/// Counters of a department's members: a user joining or leaving adds to one of them in its
/// own transaction, so creates in one department rarely touch the same item, and a delete
/// of the department that finds every counter at zero cannot leave a user behind.
pub const MEMBER_COUNTERS: u32 = 16;

pub fn member_counter_of(id: &UserId) -> u32 {
    (fnv(id) / USER_SHARDS) % MEMBER_COUNTERS
}

pub fn department_members(t: &TenantId, dept: &DepartmentId, counter: u32) -> (String, String) {
    (
        format!("{}#DEPTN#{dept}#{counter}", tenant(t)),
        "DEPTN".to_owned(),
    )
}

/// The jobs that hold a tenant's departments (see `roster_domain::store::DepartmentHold`).
pub fn department_hold(t: &TenantId) -> (String, String) {
    (format!("{}#IMPORTING", tenant(t)), "HOLD".to_owned())
}

pub fn user_list_partition(t: &TenantId, shard: u32) -> String {
    format!("{}#USERS#{shard}", tenant(t))
}

pub fn department_list_partition(t: &TenantId, dept: &DepartmentId, shard: u32) -> String {
    format!("{}#D#{dept}#{shard}", tenant(t))
}

pub fn jobs_partition(t: &TenantId) -> String {
    format!("{}#JOBS", tenant(t))
}

/// Sort key of a job in `by_tenant`: RFC 3339 UTC at fixed millisecond width sorts by time.
pub fn job_list_sort_key(uploaded_at: OffsetDateTime, id: &ImportJobId) -> String {
    format!("{}#{id}", sortable_time(uploaded_at))
}

pub fn sortable_time(at: OffsetDateTime) -> String {
    let utc = at.to_offset(time::UtcOffset::UTC);
    let utc = utc
        .replace_nanosecond(utc.millisecond() as u32 * 1_000_000)
        .unwrap_or(utc);
    let text = utc.format(&Rfc3339).unwrap_or_default();
    // Rfc3339 drops trailing zero fractions; pad so that every key has the same width.
    match text.strip_suffix('Z') {
        Some(base) if !base.contains('.') => format!("{base}.000Z"),
        Some(base) => {
            let (whole, frac) = base.split_once('.').unwrap_or((base, ""));
            format!("{whole}.{frac:0<3}Z")
        }
        None => text,
    }
}

/// The partition of a search index holding terms that start like `term`.
pub fn search_partition(t: &TenantId, field: SearchField, term: &str) -> Option<String> {
    term.chars()
        .next()
        .map(|first| format!("{}#{}#{first}", tenant(t), field.tag()))
}

pub fn search_sort_key(term: &str, id: &UserId) -> String {
    format!("{term}{TERM_SEPARATOR}{id}")
}

/// The search entries a user's item carries: its non-empty terms, less each term that begins
/// another of its terms (`john` of `john.smith@acme.com`). Every prefix query that finds the
/// shorter term finds the longer one, so its entry would cost a write for nothing; the longer
/// entry is kept (of equal terms, the first field's), so every term left out has one kept
/// that begins with it.
pub fn search_entries(
    terms: impl IntoIterator<Item = (SearchField, Option<String>)>,
) -> Vec<(SearchField, String)> {
    let terms: Vec<(SearchField, String)> = terms
        .into_iter()
        .filter_map(|(field, term)| Some((field, term?)))
        .collect();
    terms
        .iter()
        .filter(|(field, term)| {
            !terms.iter().any(|(other, longer)| {
                other != field
                    && longer.starts_with(term.as_str())
                    && (longer.len() > term.len() || other.rank() < field.rank())
            })
        })
        .cloned()
        .collect()
}

/// Splits a search sort key back into its term and user id.
pub fn parse_search_sort_key(sk: &str) -> Option<(&str, &str)> {
    sk.rsplit_once(TERM_SEPARATOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_always_start_with_the_tenant() {
        let t = TenantId::parse("acme").unwrap();
        let id = UserId::generate();
        assert!(user(&t, &id).0.starts_with("T#acme#"));
        assert!(login_claim(&t, "john").0.starts_with("T#acme#"));
        assert_eq!(settings(&t).0, "T#acme");
    }

    #[test]
    fn shards_are_spread_and_stable() {
        let mut seen = [0u32; USER_SHARDS as usize];
        for _ in 0..400 {
            seen[shard_of(&UserId::generate()) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n > 50), "uneven shards: {seen:?}");
        let id = UserId::parse("01J0000000000000000000000A").unwrap();
        assert_eq!(shard_of(&id), shard_of(&id));
    }

    #[test]
    fn sortable_times_have_fixed_width_and_sort_in_time_order() {
        use time::macros::datetime;
        let a = sortable_time(datetime!(2026-01-02 03:04:05 UTC));
        let b = sortable_time(datetime!(2026-01-02 03:04:05.5 UTC));
        let c = sortable_time(datetime!(2026-01-02 04:00:00.123 +01:00));
        assert_eq!(a, "2026-01-02T03:04:05.000Z");
        assert_eq!(b, "2026-01-02T03:04:05.500Z");
        assert_eq!(c, "2026-01-02T03:00:00.123Z");
        assert!(c < a && a < b);
    }

    #[test]
    fn search_keys_group_terms_before_longer_terms() {
        let id = UserId::generate();
        let jo = search_sort_key("jo", &id);
        let joe = search_sort_key("joe", &id);
        assert!(jo < joe);
        assert!(jo < format!("jo{AFTER_TERM}"));
        assert!(format!("jo{AFTER_TERM}") < joe);
        assert_eq!(
            parse_search_sort_key(&jo),
            Some(("jo", id.to_string().as_str()))
        );
    }

    #[test]
    fn terms_that_begin_another_term_of_the_user_get_no_entry() {
        let entries = |first: &str, last: &str, email: Option<&str>, login: &str| {
            let terms = [
                (SearchField::FirstName, Some(first.to_owned())),
                (SearchField::LastName, Some(last.to_owned())),
                (SearchField::Email, email.map(str::to_owned)),
                (SearchField::Login, Some(login.to_owned())),
            ];
            search_entries(terms)
                .into_iter()
                .map(|(f, _)| f)
                .collect::<Vec<_>>()
        };
        use SearchField::*;
        // The typical user: first name and login both begin the address.
        assert_eq!(
            entries("john", "smith", Some("john.smith@acme.com"), "john.smith"),
            vec![LastName, Email]
        );
        // Nothing begins anything else: all four.
        assert_eq!(
            entries("john", "smith", Some("jsm@acme.com"), "jdoe"),
            vec![FirstName, LastName, Email, Login]
        );
        // Without an e-mail the login covers the first name; equal terms keep the first field.
        assert_eq!(entries("ann", "lee", None, "annlee"), vec![LastName, Login]);
        assert_eq!(entries("lee", "lee", None, "x"), vec![FirstName, Login]);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;
        use proptest::test_runner::{Config, RngSeed};

        fn tenant_id() -> impl Strategy<Value = TenantId> {
            "[a-z0-9][a-z0-9-]{0,20}".prop_filter_map("a tenant id", |t| TenantId::parse(&t).ok())
        }

        /// Every key a tenant's value can make, for values with separators in them.
        fn keys_of(t: &TenantId, value: &str, user: &UserId) -> Vec<String> {
            let hour = "2026120412";
            vec![
                user_partition(t, user),
                login_claim(t, value).0,
                email_claim(t, value).0,
                extension_claim(t, value).0,
                mac_claim(t, value).0,
                name_claim(t, NamedList::Departments, value).0,
                failed_login(t, value, hour).0,
                activation_request(t, value).0,
                search_cursor(t, value).0,
                user_list_partition(t, shard_of(user)),
            ]
        }

        proptest! {
            #![proptest_config(Config {
                cases: 2_000,
                rng_seed: RngSeed::Fixed(20_261_204),
                failure_persistence: None,
                ..Config::default()
            })]

            /// A key starts with its own tenant's prefix and never with another's, whatever
            /// the value holds (`#`, the other tenant's id…), so no query on one tenant's
            /// partitions can reach another's.
            #[test]
            fn a_key_never_leaves_its_tenant(a in tenant_id(), b in tenant_id(), value in ".{0,30}") {
                let user = UserId::generate();
                for key in keys_of(&a, &value, &user) {
                    prop_assert!(key.starts_with(&format!("T#{a}#")), "{}", key);
                    if a != b {
                        prop_assert!(!key.starts_with(&format!("T#{b}#")), "{} under {}", key, b);
                    }
                }
            }

            /// Search sort keys read back as the term and the user they were made of.
            #[test]
            fn search_sort_keys_round_trip(term in "[^\\x00]{0,30}") {
                let user = UserId::generate();
                let key = search_sort_key(&term, &user);
                let user_text = user.to_string();
                prop_assert_eq!(parse_search_sort_key(&key), Some((term.as_str(), user_text.as_str())));
            }
        }
    }
}
