//! Matching a request against a route table of `(method, "/v1/things/{id}", route)`.

use lambda_http::http::Method;
use roster_domain::error::AppError;

use crate::error::HttpError;

/// The segments of a path that stand where its template has `{…}`, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathIds<'p>(Vec<&'p str>);

impl<'p> PathIds<'p> {
    /// The first `{…}` (`{id}` of `/v1/users/{id}/devices/{device_id}`).
    pub fn first(&self) -> Option<&'p str> {
        self.0.first().copied()
    }

    /// The second `{…}` (`{device_id}` above).
    pub fn second(&self) -> Option<&'p str> {
        self.0.get(1).copied()
    }
}

/// The `{…}` segments of a path; `None` when the path does not match the template.
fn matches<'p>(template: &str, path: &'p str) -> Option<PathIds<'p>> {
    let mut ids = Vec::new();
    let mut want = template.trim_matches('/').split('/');
    let mut got = path.trim_matches('/').split('/');
    loop {
        match (want.next(), got.next()) {
            (None, None) => return Some(PathIds(ids)),
            (Some(w), Some(segment)) if w.starts_with('{') && !segment.is_empty() => {
                ids.push(segment)
            }
            (Some(w), Some(g)) if w == g => {}
            _ => return None,
        }
    }
}

/// The route and its `{…}` segments for a request: 404 for unknown paths, 405 (naming the
/// allowed methods) for a known path with another method. Literal segments win over `{…}`.
pub fn resolve<'p, R: Copy>(
    routes: &[(&str, &str, R)],
    method: &Method,
    path: &'p str,
) -> Result<(R, PathIds<'p>), HttpError> {
    let candidates: Vec<(&str, R, PathIds)> = routes
        .iter()
        .filter_map(|(m, template, route)| matches(template, path).map(|ids| (*m, *route, ids)))
        .collect();
    let fewest = candidates.iter().map(|(_, _, ids)| ids.0.len()).min();
    let candidates: Vec<_> = candidates
        .into_iter()
        .filter(|(_, _, ids)| Some(ids.0.len()) == fewest)
        .collect();
    if candidates.is_empty() {
        return Err(AppError::NotFound("route").into());
    }
    candidates
        .iter()
        .find(|(m, _, _)| *m == method.as_str())
        .map(|(_, route, ids)| (*route, ids.clone()))
        .ok_or_else(|| {
            let allowed: Vec<&str> = candidates.iter().map(|(m, _, _)| *m).collect();
            HttpError::MethodNotAllowed {
                method: method.to_string(),
                allow: allowed.join(", "),
            }
        })
}
