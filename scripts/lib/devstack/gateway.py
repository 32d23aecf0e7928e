"""A local stand-in for the HTTP API: verifies bearer tokens and forwards API Gateway v2 events.

Routes, and which of them need a token, come from the template (cfn.wiring), so the local API
has exactly the deployed routes. A request without a valid token on an authorized route gets
API Gateway's 401 and never reaches a function; a valid one reaches it with the claims in
`requestContext.authorizer.jwt.claims`, as API Gateway hands them over.

Routes behind a Lambda authorizer (/scim/v2, the SCIM token authorizer) run that authorizer
function with API Gateway's authorizer event and pass its context on as
`requestContext.authorizer.lambda`; it refuses with 403 as API Gateway does. Locally a dev
token opens them too (the contract's `scripts/dev token --roles admin` for SCIM): it is checked
here like on every other route and handed over as JWT claims.
"""

import base64
import json
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from . import tokens
from .lambdas import FunctionError

TEXT_TYPES = ("application/json", "text/", "application/xml", "application/x-www-form-urlencoded")


def authorizer_event(event, route, token_header):
    """API Gateway's payload 2.0 event for a Lambda authorizer (identity: Authorization)."""
    method, path = event["requestContext"]["http"]["method"], event["rawPath"]
    return {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": f"arn:aws:execute-api:us-east-1:123456789012:local/$default/{method}{path}",
        "identitySource": [token_header],
        "routeKey": route.key,
        "rawPath": path,
        "rawQueryString": event["rawQueryString"],
        "headers": event["headers"],
        "requestContext": event["requestContext"],
    }


def api_event(method, raw_path, raw_query, headers, body, route, claims, source_ip):
    """The API Gateway HTTP API (payload 2.0) event for one request."""
    now = datetime.now(timezone.utc)
    query = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    content_type = headers.get("content-type", "")
    is_text = not body or any(content_type.startswith(t) for t in TEXT_TYPES)
    if is_text:
        try:
            encoded_body, is_base64 = body.decode("utf-8"), False
        except UnicodeDecodeError:
            is_text = False
    if not is_text:
        encoded_body, is_base64 = base64.b64encode(body).decode(), True
    event = {
        "version": "2.0",
        "routeKey": route.key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": headers.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route.key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": is_base64,
    }
    if query:
        event["queryStringParameters"] = query
    if route.greedy:
        prefix = route.path[: -len("{proxy+}")]
        event["pathParameters"] = {"proxy": raw_path[len(prefix) :]}
    if body:
        event["body"] = encoded_body
    if claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    return event


def make_handler(routes, lambdas, say):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "roster-local-gateway"

        def log_message(self, *_args):
            pass

        def _reply(self, status, body, headers=(), cookies=()):
            self.send_response(status)
            sent = {name.lower() for name, _ in headers}
            for name, value in headers:
                self.send_header(name, value)
            for cookie in cookies:
                self.send_header("set-cookie", cookie)
            if "content-type" not in sent and body:
                self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _message(self, status, message):
            self._reply(status, json.dumps({"message": message}).encode())

        def _handle(self):
            started = time.monotonic()
            url = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            route = next((r for r in routes if r.matches(self.command, url.path)), None)
            if route is None:
                self._message(404, "Not Found")
                return 404, "no route"
            claims = None
            headers = {}
            for name, value in self.headers.items():
                name = name.lower()
                headers[name] = f"{headers[name]},{value}" if name in headers else value
            # API Gateway tells the function how the client reached it.
            headers.setdefault("x-forwarded-proto", "http")
            authorization = self.headers.get("authorization") or ""
            if route.authorized:
                scheme, _, token = authorization.partition(" ")
                try:
                    if scheme.lower() != "bearer" or not token:
                        raise tokens.InvalidToken("no bearer token")
                    claims = tokens.as_authorizer_claims(tokens.verify(token.strip()))
                except tokens.InvalidToken as e:
                    if not (route.authorizer and authorization.strip()):
                        self._message(401, "Unauthorized")
                        return 401, str(e)
            event = api_event(
                self.command, url.path, url.query, headers, body, route, claims,
                self.client_address[0],
            )
            if route.authorizer and claims is None:
                try:
                    verdict = lambdas.invoke(
                        route.authorizer, authorizer_event(event, route, authorization), timeout=10
                    )
                except FunctionError as e:
                    self._message(500, "Internal Server Error")
                    return 500, f"authorizer: {e}"
                if not (isinstance(verdict, dict) and verdict.get("isAuthorized") is True):
                    self._message(403, "Forbidden")
                    return 403, "the authorizer refused the request"
                event["requestContext"]["authorizer"] = {"lambda": verdict.get("context") or {}}
            try:
                response = lambdas.invoke(route.function, event, timeout=30)
            except FunctionError as e:
                # API Gateway's answer when the integration fails; the details stay in the log.
                self._message(500, "Internal Server Error")
                return 500, str(e)
            status, out_headers, cookies, out_body = decode_response(response)
            self._reply(status, out_body, out_headers, cookies)
            return status, f"{route.function} {int((time.monotonic() - started) * 1000)} ms"

        def _dispatch(self):
            status, note = self._handle()
            say("gateway", f"{self.command} {self.path} -> {status} ({note})")

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch

        def __getattr__(self, name):
            # Every other method (TRACE, QUERY, anything) reaches the route table too, as in
            # API Gateway: a 404 or the function's 405, never the HTTP server's own 501 page.
            if name.startswith("do_"):
                return self._dispatch
            raise AttributeError(name)

    return Handler


def decode_response(response):
    """Status, headers, cookies and body from a payload 2.0 Lambda response."""
    if not isinstance(response, dict) or "statusCode" not in response:
        # API Gateway's rule for a payload without statusCode: 200 with the payload as JSON.
        return 200, [("content-type", "application/json")], [], json.dumps(response).encode()
    headers = [(k, str(v)) for k, v in (response.get("headers") or {}).items()]
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers.extend((name, str(v)) for v in values)
    body = response.get("body") or ""
    body = base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()
    return int(response["statusCode"]), headers, response.get("cookies") or [], body


def serve(port, routes, lambdas, say):
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(routes, lambdas, say))
    server.daemon_threads = True
    return server
