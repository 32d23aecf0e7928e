//! Spreadsheet headers → user fields, matched loosely: `First Name`, `first_name`,
//! `FirstName` and `FIRST-NAME` are all `first_name`; `Username`, `Login ID` and `User Login`
//! are all `login`. Unknown headers are kept (they go back into the error report) and listed
//! as warnings.

use crate::tenant::TenantSettings;

/// A column of an import file that maps onto a user field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    Login,
    FirstName,
    LastName,
    Email,
    MobilePhone,
    BusinessPhone,
    DepartmentId,
    Kind,
    Roles,
    Scope,
    Priority,
    ClientType,
    ActivationMethod,
    Imei,
    SendText,
    MaximalContacts,
    InAddressBook,
    Nickname,
    Language,
    ShowPhoto,
    MaxLiveChats,
    MaxNrtChats,
    LoginUsing,
    BusinessUnit,
    Location,
    JobDescription,
    Company,
    CustomerCode,
    Udid,
    AllowedIps,
    Groups,
    Extension,
    Password,
}

/// Lower-case letters and digits only: the form headers are compared in.
pub fn squash(header: &str) -> String {
    header
        .trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// (column, canonical header, accepted aliases in squashed form).
const ALIASES: &[(Column, &str, &[&str])] = &[
    (
        Column::Login,
        "login",
        &[
            "login",
            "loginid",
            "loginname",
            "username",
            "userlogin",
            "userid",
            "user",
        ],
    ),
    (
        Column::FirstName,
        "first_name",
        &["firstname", "givenname", "forename", "first"],
    ),
    (
        Column::LastName,
        "last_name",
        &["lastname", "surname", "familyname", "last"],
    ),
    (
        Column::Email,
        "email",
        &["email", "emailaddress", "emailid", "mail", "email1"],
    ),
    (
        Column::MobilePhone,
        "mobile_phone",
        &[
            "mobilephone",
            "mobilephonenumber",
            "mobile",
            "mobilenumber",
            "cellphone",
            "cell",
            "phone",
            "phonenumber",
        ],
    ),
    (
        Column::BusinessPhone,
        "business_phone",
        &[
            "businessphone",
            "businessphonenumber",
            "workphone",
            "officephone",
        ],
    ),
    (
        Column::DepartmentId,
        "department_id",
        &["departmentid", "department", "dept", "businessunitid"],
    ),
    (Column::Kind, "kind", &["kind", "usertype", "type"]),
    (Column::Roles, "roles", &["roles", "role"]),
    (Column::Scope, "scope", &["scope", "portalaccess"]),
    (Column::Priority, "priority", &["priority"]),
    (
        Column::ClientType,
        "client_type",
        &["clienttype", "client", "devicetype"],
    ),
    (
        Column::ActivationMethod,
        "activation_method",
        &["activationmethod", "activation"],
    ),
    (Column::Imei, "imei", &["imei", "deviceimei"]),
    (
        Column::SendText,
        "send_text",
        &["sendtext", "sendsms", "sms"],
    ),
    (
        Column::MaximalContacts,
        "maximal_contacts",
        &["maximalcontacts", "maximalcontact"],
    ),
    (
        Column::InAddressBook,
        "in_address_book",
        &[
            "inaddressbook",
            "addressbook",
            "globaladdressbook",
            "addtoglobaladdressbook",
        ],
    ),
    (Column::Nickname, "nickname", &["nickname", "displayname"]),
    (Column::Language, "language", &["language", "locale"]),
    (Column::ShowPhoto, "show_photo", &["showphoto"]),
    (
        Column::MaxLiveChats,
        "max_live_chats",
        &["maxlivechats", "threshold", "livechats"],
    ),
    (
        Column::MaxNrtChats,
        "max_nrt_chats",
        &["maxnrtchats", "nrtchats"],
    ),
    (Column::LoginUsing, "login_using", &["loginusing"]),
    (Column::BusinessUnit, "business_unit", &["businessunit"]),
    (
        Column::Location,
        "location",
        &["location", "site", "office"],
    ),
    (
        Column::JobDescription,
        "job_description",
        &["jobdescription", "jobtitle", "title"],
    ),
    (
        Column::Company,
        "company",
        &["company", "organisation", "organization"],
    ),
    (
        Column::CustomerCode,
        "customer_code",
        &["customercode", "uniquecustomercode"],
    ),
    (Column::Udid, "udid", &["udid"]),
    (
        Column::AllowedIps,
        "allowed_ips",
        &["allowedips", "ipranges", "allowedipranges"],
    ),
    (Column::Groups, "groups", &["groups", "group", "groupids"]),
    (
        Column::Extension,
        "extension",
        &[
            "extension",
            "extensions",
            "ext",
            "phoneextension",
            "devices",
        ],
    ),
    (
        Column::Password,
        "password",
        &["password", "initialpassword"],
    ),
];

impl Column {
    pub fn from_header(header: &str) -> Option<Self> {
        let key = squash(header);
        ALIASES
            .iter()
            .find(|(_, canonical, aliases)| {
                squash(canonical) == key || aliases.contains(&key.as_str())
            })
            .map(|(column, _, _)| *column)
    }

    /// The header the template and exports use.
    pub fn canonical(self) -> &'static str {
        ALIASES
            .iter()
            .find(|(c, _, _)| *c == self)
            .map(|(_, name, _)| *name)
            .unwrap_or("?")
    }

    /// The header the template uses: the words an admin reads in the seeds' portals. Every
    /// label maps back onto its column.
    pub fn label(self) -> &'static str {
        match self {
            Column::Login => "Login",
            Column::FirstName => "First Name",
            Column::LastName => "Last Name",
            Column::Email => "Email",
            Column::MobilePhone => "Mobile Phone",
            Column::BusinessPhone => "Business Phone",
            Column::DepartmentId => "Department",
            Column::Kind => "Kind",
            Column::Roles => "Roles",
            Column::Scope => "Scope",
            Column::Priority => "Priority",
            Column::ClientType => "Client Type",
            Column::ActivationMethod => "Activation Method",
            Column::Imei => "IMEI",
            Column::SendText => "Send Text",
            Column::MaximalContacts => "Maximal Contacts",
            Column::InAddressBook => "Add to Global Address Book",
            Column::Nickname => "Nickname",
            Column::Language => "Language",
            Column::ShowPhoto => "Show Photo",
            Column::MaxLiveChats => "Max Live Chats",
            Column::MaxNrtChats => "Max NRT Chats",
            Column::LoginUsing => "Login Using",
            Column::BusinessUnit => "Business Unit",
            Column::Location => "Location",
            Column::JobDescription => "Job Description",
            Column::Company => "Company",
            Column::CustomerCode => "Unique Customer Code",
            Column::Udid => "UDID",
            Column::AllowedIps => "Allowed IPs",
            Column::Groups => "Groups",
            Column::Extension => "Extension",
            Column::Password => "Password",
        }
    }

    pub fn all() -> impl Iterator<Item = Column> {
        ALIASES.iter().map(|(c, _, _)| *c)
    }
}

/// The columns every file must have; each missing one fails the job, named. A tenant whose
/// policy requires a department also needs a Department column.
pub const REQUIRED: &[Column] = &[Column::Login, Column::FirstName, Column::LastName];

fn required(settings: &TenantSettings) -> Vec<Column> {
    let mut required = REQUIRED.to_vec();
    if settings.require_department {
        required.push(Column::DepartmentId);
    }
    required
}

/// How a file's header row maps onto fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderMap {
    /// For each position: the field it fills, if any.
    pub columns: Vec<Option<Column>>,
    /// The headers as the file has them (for the report).
    pub headers: Vec<String>,
}

impl HeaderMap {
    /// Maps a header row under the default policy; `Err` names every missing required column.
    pub fn new(headers: &[String]) -> Result<Self, String> {
        Self::for_policy(headers, &TenantSettings::default())
    }

    /// Maps a header row for a tenant: its policy decides which columns are required.
    pub fn for_policy(headers: &[String], settings: &TenantSettings) -> Result<Self, String> {
        let mut columns = Vec::with_capacity(headers.len());
        let mut seen = std::collections::HashSet::new();
        for header in headers {
            // A second column for the same field is ignored (and warned about).
            let column = Column::from_header(header).filter(|c| seen.insert(*c));
            columns.push(column);
        }
        let missing: Vec<&str> = required(settings)
            .iter()
            .filter(|c| !columns.contains(&Some(**c)))
            .map(|c| c.canonical())
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "the file has no {} column{} (the first non-empty row must be the header row)",
                missing.join(", "),
                if missing.len() > 1 { "s" } else { "" }
            ));
        }
        if !columns.contains(&Some(Column::Email))
            && !columns.contains(&Some(Column::MobilePhone))
            && !settings.logins_may_be_emails
        {
            return Err("the file needs an email or a mobile_phone column".to_owned());
        }
        Ok(Self {
            columns,
            headers: headers.to_vec(),
        })
    }

    /// Headers that map to no field (or repeat one): warnings for the job.
    pub fn ignored(&self) -> Vec<String> {
        self.headers
            .iter()
            .zip(&self.columns)
            .filter(|(h, c)| c.is_none() && !h.trim().is_empty())
            .map(|(h, _)| h.trim().to_owned())
            .collect()
    }

    pub fn position(&self, column: Column) -> Option<usize> {
        self.columns.iter().position(|c| *c == Some(column))
    }
}

/// The template's columns: every importable one, in the order admins fill them.
pub fn template_columns() -> Vec<Column> {
    Column::all().collect()
}

/// The template's header row, in the words an admin reads.
pub fn template_headers() -> Vec<&'static str> {
    template_columns().into_iter().map(Column::label).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_loosely() {
        for (header, column) in [
            ("First Name", Column::FirstName),
            ("first_name", Column::FirstName),
            ("FirstName", Column::FirstName),
            ("\u{feff}Login", Column::Login),
            ("Login ID", Column::Login),
            ("Username", Column::Login),
            ("User Login", Column::Login),
            ("Email", Column::Email),
            ("Email Address", Column::Email),
            ("Email ID", Column::Email),
            ("Mobile Phone number", Column::MobilePhone),
            ("Department", Column::DepartmentId),
            ("Unique Customer Code", Column::CustomerCode),
            ("Add to global address book", Column::InAddressBook),
        ] {
            assert_eq!(Column::from_header(header), Some(column), "{header}");
        }
        assert_eq!(Column::from_header("Favourite colour"), None);
    }

    #[test]
    fn missing_required_columns_are_named() {
        let headers: Vec<String> = ["Login", "First Name", "Email", "Shoe size"]
            .map(String::from)
            .to_vec();
        let err = HeaderMap::new(&headers).unwrap_err();
        assert!(
            err.contains("last_name") && !err.contains("department_id"),
            "{err}"
        );
        let strict = TenantSettings {
            require_department: true,
            ..TenantSettings::default()
        };
        let err = HeaderMap::for_policy(&headers, &strict).unwrap_err();
        assert!(err.contains("department_id"), "{err}");
        let ok: Vec<String> = [
            "Login",
            "First Name",
            "Last Name",
            "Department",
            "Email",
            "Shoe size",
            "login",
        ]
        .map(String::from)
        .to_vec();
        let map = HeaderMap::new(&ok).unwrap();
        assert_eq!(map.ignored(), vec!["Shoe size", "login"]);
    }

    #[test]
    fn every_label_maps_back_onto_its_column() {
        for column in Column::all() {
            assert_eq!(
                Column::from_header(column.label()),
                Some(column),
                "{column:?}"
            );
        }
    }

    #[test]
    fn seed_sheets_map_unchanged() {
        // Seed 001's Excel columns and seed 003's upload CSV, word for word.
        let seed_001 = [
            "First Name",
            "Last Name",
            "Login",
            "Password",
            "Mobile Phone number",
            "Business Phone number",
            "Email Address",
            "Company",
            "Unique Customer Code",
            "UDID",
        ];
        let seed_003 = ["First Name", "Last Name", "Login ID", "Email ID"];
        for headers in [&seed_001[..], &seed_003[..]] {
            let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
            let map = HeaderMap::new(&headers).unwrap();
            assert!(map.ignored().is_empty(), "{:?}", map.ignored());
        }
    }

    #[test]
    fn the_template_header_maps_onto_itself() {
        let headers: Vec<String> = template_headers().into_iter().map(String::from).collect();
        let map = HeaderMap::new(&headers).unwrap();
        assert!(map.ignored().is_empty());
        assert_eq!(map.columns.iter().flatten().count(), headers.len());
    }
}
