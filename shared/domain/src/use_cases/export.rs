//! CSV export of a tenant's users, safe to open in a spreadsheet.

use time::format_description::well_known::Rfc3339;

use crate::user::User;

/// Export columns; the import template accepts the same header names.
pub const EXPORT_COLUMNS: &[&str] = &[
    "id",
    "login",
    "first_name",
    "last_name",
    "email",
    "mobile_phone",
    "business_phone",
    "department_id",
    "kind",
    "roles",
    "scope",
    "priority",
    "client_type",
    "activation_method",
    "imei",
    "send_text",
    "trusted",
    "status",
    "disabled_reason",
    "status_history",
    "maximal_contacts",
    "in_address_book",
    "nickname",
    "language",
    "max_live_chats",
    "max_nrt_chats",
    "login_using",
    "business_unit",
    "location",
    "job_description",
    "company",
    "customer_code",
    "udid",
    "allowed_ips",
    "groups",
    "extension",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
];

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR) gets a leading
/// `'`, which spreadsheets show as text (OWASP's CSV-injection advice).
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// `2026-12-01T10:00:00Z disabled by admin-1 (left the company); …`, newest first.
fn status_history(u: &User) -> String {
    u.status_history
        .iter()
        .map(|c| {
            let at = c.at.format(&Rfc3339).unwrap_or_default();
            match &c.reason {
                Some(reason) => format!("{at} {} by {} ({reason})", c.status, c.by),
                None => format!("{at} {} by {}", c.status, c.by),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn row(u: &User) -> Vec<String> {
    let p = &u.profile;
    let opt = |v: Option<&str>| v.unwrap_or_default().to_owned();
    let time = |t: time::OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    let join = |items: Vec<String>| items.join(";");
    vec![
        u.id.to_string(),
        p.login.to_string(),
        p.first_name.clone(),
        p.last_name.clone(),
        opt(p.email.as_ref().map(|e| e.as_str())),
        opt(p.mobile_phone.as_ref().map(|m| m.as_str())),
        opt(p.business_phone.as_deref()),
        opt(p.department_id.as_ref().map(|d| d.as_str())),
        p.kind.to_string(),
        join(p.roles.iter().map(ToString::to_string).collect()),
        p.scope.to_string(),
        p.priority.get().to_string(),
        p.client_type.to_string(),
        p.activation_method.to_string(),
        opt(p.imei.as_ref().map(|i| i.as_str())),
        p.send_text.to_string(),
        u.trusted.to_string(),
        u.status.to_string(),
        opt(u.disabled.as_ref().and_then(|d| d.reason.as_deref())),
        status_history(u),
        p.maximal_contacts.to_string(),
        p.in_address_book.to_string(),
        opt(p.nickname.as_deref()),
        opt(p.language.as_deref()),
        p.max_live_chats.to_string(),
        p.max_nrt_chats.to_string(),
        p.login_using.to_string(),
        opt(p.business_unit.as_deref()),
        opt(p.location.as_deref()),
        opt(p.job_description.as_deref()),
        opt(p.company.as_deref()),
        opt(p.customer_code.as_deref()),
        opt(p.udid.as_deref()),
        join(p.allowed_ips.iter().map(ToString::to_string).collect()),
        join(p.groups.iter().map(ToString::to_string).collect()),
        join(p.devices.iter().map(|d| d.extension.clone()).collect()),
        time(u.created.at),
        u.created.by.to_string(),
        time(u.updated.at),
        u.updated.by.to_string(),
    ]
}

/// Users as CSV rows (header first, unless the export continues one), buffered in memory
/// until [`CsvExport::take`] hands the bytes so far to an upload.
pub struct CsvExport {
    writer: csv::Writer<Vec<u8>>,
}

impl CsvExport {
    pub fn new(out: Vec<u8>) -> csv::Result<Self> {
        let mut export = Self::continuing(out);
        export.writer.write_record(EXPORT_COLUMNS)?;
        Ok(export)
    }

    /// Rows only: the header went out with an earlier part.
    pub fn continuing(out: Vec<u8>) -> Self {
        Self {
            writer: csv::Writer::from_writer(out),
        }
    }

    pub fn write(&mut self, user: &User) -> csv::Result<()> {
        let cells = row(user);
        self.writer
            .write_record(cells.iter().map(|c| neutralise(c).into_owned()))
    }

    /// Bytes written so far (the writer's own small buffer aside).
    pub fn buffered(&self) -> usize {
        self.writer.get_ref().len()
    }

    /// Every complete row so far; the export goes on empty.
    pub fn take(&mut self) -> Result<Vec<u8>, String> {
        let capacity = self.writer.get_ref().capacity();
        let full = std::mem::replace(
            &mut self.writer,
            csv::Writer::from_writer(Vec::with_capacity(capacity)),
        );
        full.into_inner().map_err(|e| e.to_string())
    }

    pub fn finish(self) -> Result<Vec<u8>, String> {
        self.writer.into_inner().map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_text_is_kept() {
        for bad in ["=1+1", "+SUM(A1)", "-2", "@cmd", "\tx", "\rx"] {
            assert!(neutralise(bad).starts_with('\''), "{bad:?}");
        }
        for ok in ["John", "a=b", "", "12"] {
            assert_eq!(neutralise(ok), ok);
        }
    }

    #[test]
    fn every_column_has_a_cell() {
        use crate::validation::{UserDraft, validate_user};
        let draft = UserDraft {
            login: Some("ann.lee".into()),
            first_name: Some("Ann".into()),
            last_name: Some("Lee".into()),
            email: Some("ann@example.com".into()),
            ..UserDraft::default()
        };
        let valid = validate_user(
            &draft,
            &crate::tenant::TenantSettings::default(),
            &std::collections::BTreeSet::new(),
        )
        .unwrap();
        let by = crate::ids::Actor::new("admin-1");
        let mut user = User::new(
            crate::ids::TenantId::parse("acme").unwrap(),
            valid.profile,
            &by,
        );
        user.set_status(crate::enums::UserStatus::Disabled, Some("left".into()), &by);
        user.set_status(crate::enums::UserStatus::Active, None, &by);
        let cells = row(&user);
        assert_eq!(cells.len(), EXPORT_COLUMNS.len());
        let history = EXPORT_COLUMNS
            .iter()
            .position(|c| *c == "status_history")
            .unwrap();
        let text = &cells[history];
        assert!(
            text.contains("active by admin-1") && text.contains("disabled by admin-1 (left)"),
            "{text}"
        );
        assert!(
            text.find("active") < text.find("disabled"),
            "newest first: {text}"
        );
    }
}
