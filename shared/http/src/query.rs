//! Query strings as the domain's typed queries, for both APIs: a parameter that does not
//! parse is a 400 naming it. Range and page rules that are not about syntax (a range of at
//! most 16 days, a known cursor) stay with the use cases.

use lambda_http::{Request, RequestExt};
use roster_domain::enums::{ClosedSet, Role, UserKind, UserStatus};
use roster_domain::ids::DepartmentId;
use roster_domain::store::UserQuery;
use roster_domain::use_cases::imports::{ImportQuery, JobSort};
use time::{Date, Duration, OffsetDateTime, Time};

use crate::error::HttpError;

/// The parameters of a request, trimmed, blank ones treated as absent.
struct Params(lambda_http::aws_lambda_events::query_map::QueryMap);

impl Params {
    fn of(request: &Request) -> Self {
        Self(request.query_string_parameters())
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.first(name).map(str::trim).filter(|v| !v.is_empty())
    }

    fn choice<T: ClosedSet>(&self, name: &str) -> Result<Option<T>, HttpError> {
        self.get(name)
            .map(|raw| {
                T::parse_loose(raw).ok_or_else(|| {
                    HttpError::bad_field(name, format!("must be one of {}", T::choices()))
                })
            })
            .transpose()
    }

    fn flag(&self, name: &str) -> Result<bool, HttpError> {
        match self.get(name) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(_) => Err(HttpError::bad_field(name, "must be true or false")),
        }
    }
}

/// Longer than any name, e-mail or login a search could match (search terms become index
/// keys, which DynamoDB caps at 1,024 bytes).
pub const SEARCH_MAX: usize = 254;

/// The user list's filters and page (`q`, `department_id`, `role`, `status`, `kind`,
/// `hide_system`, `limit`, `cursor`).
pub fn user_query(request: &Request) -> Result<UserQuery, HttpError> {
    let params = Params::of(request);
    let department_id = params
        .get("department_id")
        .map(|raw| DepartmentId::parse(raw).map_err(|e| HttpError::bad_field("department_id", e.0)))
        .transpose()?;
    let limit = match params.get("limit") {
        None => 0,
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=UserQuery::MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(HttpError::bad_field(
                    "limit",
                    format!("must be a whole number from 1 to {}", UserQuery::MAX_LIMIT),
                ));
            }
        },
    };
    let text = params.get("q").map(str::to_owned);
    if text
        .as_ref()
        .is_some_and(|q| q.chars().count() > SEARCH_MAX)
    {
        return Err(HttpError::bad_field(
            "q",
            format!("must be at most {SEARCH_MAX} characters"),
        ));
    }
    Ok(UserQuery {
        text,
        department_id,
        role: params.choice::<Role>("role")?,
        status: params.choice::<UserStatus>("status")?,
        kind: params.choice::<UserKind>("kind")?,
        hide_system: params.flag("hide_system")?,
        limit,
        cursor: params.get("cursor").map(str::to_owned),
        ..UserQuery::default()
    })
}

/// `from`/`to` as clients send them: a date (`2026-11-01`, a whole UTC day, so `to` is the
/// end of that day) or an RFC 3339 time.
fn time_bound(field: &str, raw: &str, end: bool) -> Result<OffsetDateTime, HttpError> {
    if let Ok(t) = OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339) {
        return Ok(t);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = Date::parse(raw, format).map_err(|_| {
        HttpError::bad_field(field, "must be a date (YYYY-MM-DD) or an RFC 3339 time")
    })?;
    let start = date.with_time(Time::MIDNIGHT).assume_utc();
    Ok(if end {
        start + Duration::days(1)
    } else {
        start
    })
}

/// The import list's range and order (`from`, `to`, `sort`, `order`).
pub fn import_query(request: &Request) -> Result<ImportQuery, HttpError> {
    let params = Params::of(request);
    let sort = match params.get("sort") {
        None | Some("uploaded_at") => JobSort::UploadedAt,
        Some("file_name") => JobSort::FileName,
        Some("uploaded_by") => JobSort::UploadedBy,
        Some("status") => JobSort::Status,
        Some(_) => {
            return Err(HttpError::bad_field(
                "sort",
                "must be file_name, uploaded_at, uploaded_by or status",
            ));
        }
    };
    let descending = match params.get("order") {
        None => None,
        Some("asc") => Some(false),
        Some("desc") => Some(true),
        Some(_) => return Err(HttpError::bad_field("order", "must be asc or desc")),
    };
    Ok(ImportQuery {
        from: params
            .get("from")
            .map(|raw| time_bound("from", raw, false))
            .transpose()?,
        to: params
            .get("to")
            .map(|raw| time_bound("to", raw, true))
            .transpose()?,
        sort,
        descending,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_whole_utc_days_and_times_are_exact() {
        let from = time_bound("from", "2026-11-01", false).unwrap();
        let to = time_bound("to", "2026-11-16", true).unwrap();
        assert_eq!(to - from, Duration::days(16));
        assert!(time_bound("from", "2026-11-01T10:00:00+02:00", false).is_ok());
        assert!(time_bound("from", "yesterday", false).is_err());
    }
}
