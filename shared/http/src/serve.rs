//! The Lambda loop of an HTTP function, so each `main` only builds its app.

use std::future::Future;

use lambda_http::{Body, Error, Request, Response, service_fn};

/// Serves `handle` with `app`, built once per cold start. The app lives as long as the
/// process, which is what a Lambda execution environment is.
pub async fn serve<A, H, R>(app: A, handle: H) -> Result<(), Error>
where
    A: Sync + 'static,
    H: Fn(&'static A, Request) -> R,
    R: Future<Output = Response<Body>> + Send,
{
    let app: &'static A = Box::leak(Box::new(app));
    lambda_http::run(service_fn(move |request| {
        let response = handle(app, request);
        async move { Ok::<_, Error>(response.await) }
    }))
    .await
}
