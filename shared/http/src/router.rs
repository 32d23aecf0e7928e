//! Matching a request against a route table of `(method, "/v1/things/{id}", route)`.

use lambda_http::http::Method;
use roster_domain::error::AppError;

use crate::error::HttpError;

/// The `{id}` of a path, if its template has one; `None` when the path does not match.
fn matches<'p>(template: &str, path: &'p str) -> Option<Option<&'p str>> {
    let mut id = None;
    let mut want = template.trim_matches('/').split('/');
    let mut got = path.trim_matches('/').split('/');
    loop {
        match (want.next(), got.next()) {
            (None, None) => return Some(id),
            (Some("{id}"), Some(segment)) if !segment.is_empty() => id = Some(segment),
            (Some(w), Some(g)) if w == g => {}
            _ => return None,
        }
    }
}

/// The route and `{id}` for a request: 404 for unknown paths, 405 (naming the allowed methods)
/// for a known path with another method. Literal segments win over `{id}`.
pub fn resolve<'p, R: Copy>(
    routes: &[(&str, &str, R)],
    method: &Method,
    path: &'p str,
) -> Result<(R, Option<&'p str>), HttpError> {
    let candidates: Vec<(&str, R, Option<&str>)> = routes
        .iter()
        .filter_map(|(m, template, route)| matches(template, path).map(|id| (*m, *route, id)))
        .collect();
    let literal = candidates.iter().any(|(_, _, id)| id.is_none());
    let candidates: Vec<_> = candidates
        .into_iter()
        .filter(|(_, _, id)| !literal || id.is_none())
        .collect();
    if candidates.is_empty() {
        return Err(AppError::NotFound("route").into());
    }
    candidates
        .iter()
        .find(|(m, _, _)| *m == method.as_str())
        .map(|(_, route, id)| (*route, *id))
        .ok_or_else(|| {
            let allowed: Vec<&str> = candidates.iter().map(|(m, _, _)| *m).collect();
            HttpError::MethodNotAllowed(format!(
                "{method} is not allowed here; use {}",
                allowed.join(", ")
            ))
        })
}
