"""Cold start of each function's release binary against an empty lambda_http binary, same run.

Each binary is started as Lambda starts a custom runtime (AWS_LAMBDA_RUNTIME_API and the
reserved variables set, the function's own variables from the template's Globals) against a
minimal Runtime API served here. The measured time runs from process start to the arrival of
the response to its first invocation, so it holds the process's start, the SDK configuration
and clients built in `main`, the first poll and the handler's first answer. The events need
no AWS call (the OpenAPI document, an empty batch, a request without a token), so the figure
is the function's own init, not the emulator's latency. Runs alternate between binaries so a
busy core slows them alike; the median of RUNS runs is reported.

It also zips each binary as `bootstrap` (deflate, as `sam build` packages it) for the size.

Usage: cold_start.py TARGET_DIR [RUNS]   (scripts/bench-cold-start builds and calls it)
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

RUNTIME_PATH = "/2018-06-01/runtime/invocation"


def http_event(method, path, headers=None):
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": headers or {}, "isBase64Encoded": False,
        "requestContext": {
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "cold-start"},
            "requestId": "cold-start", "routeKey": "$default", "stage": "$default",
            "accountId": "123456789012", "apiId": "local", "domainName": "localhost",
            "domainPrefix": "localhost", "time": "01/Jan/2026:00:00:00 +0000", "timeEpoch": 0,
        },
    }


# binary -> the first event it answers; the baselines first: the empty binary, then the floor
# of any function that calls AWS (roster-aws's `sdk_floor` example: SDK configuration and one
# client built at init, as every function builds them).
BINARIES = {
    "empty-http": http_event("GET", "/"),
    "sdk-floor": http_event("GET", "/"),
    "users-api": http_event("GET", "/v1/openapi.json"),
    "imports-api": http_event("GET", "/v1/imports/01J00000000000000000000000"),
    "device-activation": http_event("GET", "/v1/activate"),
    "import-worker": {"Records": []},
    "activation-sender": {"Records": []},
    "scim-authorizer": {
        "version": "2.0", "type": "REQUEST", "routeArn": "arn:aws:execute-api:us-east-1:1:x/$default/GET/scim/v2/Users",
        "identitySource": [], "routeKey": "ANY /scim/v2/{proxy+}", "rawPath": "/scim/v2/Users",
        "rawQueryString": "", "headers": {}, "requestContext": http_event("GET", "/scim/v2/Users")["requestContext"],
    },
}


class RuntimeApi:
    """Hands out one event and records when its answer (or an error) arrives."""

    def __init__(self):
        self.event = None
        self.answered = threading.Event()
        self.outcome = None
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_):
                pass

            def do_GET(self):
                if self.path != f"{RUNTIME_PATH}/next":
                    return self._send(404, b"{}")
                event, api.event = api.event, None
                if event is None:
                    api.answered.wait(30)  # a second poll: hold it until the run ends
                    return self._send(500, b"{}")
                body = json.dumps(event).encode()
                self._send(200, body, {
                    "Lambda-Runtime-Aws-Request-Id": str(uuid.uuid4()),
                    "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + 30_000),
                    "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:bench",
                    "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000",
                })

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                if not api.answered.is_set():
                    api.outcome = (time.monotonic(), self.path.rsplit("/", 1)[-1])
                    api.answered.set()
                self._send(202, b"{}")

            def _send(self, status, body, headers=None):
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # the binary is killed while its second poll is held: not an error

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.address = f"127.0.0.1:{self.server.server_address[1]}"


def cold_start(binary, event, env):
    """Seconds from process start to the first invocation's response."""
    api = RuntimeApi()
    api.event = event
    run_env = {
        **env,
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "AWS_LAMBDA_FUNCTION_NAME": binary.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{binary.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "cold-start",
    }
    started = time.monotonic()
    process = subprocess.Popen([str(binary)], env=run_env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        if not api.answered.wait(30):
            raise SystemExit(f"{binary.name} did not answer within 30 s")
        # An empty batch may be refused as an error: it still answered, after the same init.
        answered_at, _kind = api.outcome
        return answered_at - started
    finally:
        process.kill()
        process.wait()
        api.server.shutdown()


def zipped_size(binary):
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "package.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
            z.write(binary, "bootstrap")
        return archive.stat().st_size


def main():
    target = Path(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    paths = {name: target / name for name in BINARIES}
    paths["empty-http"] = target / "examples" / "empty_http"
    paths["sdk-floor"] = target / "examples" / "sdk_floor"
    for name, path in paths.items():
        if not path.exists():
            raise SystemExit(f"{path} is missing: build it first (scripts/bench-cold-start does)")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "ROSTER_TABLE": "roster",
        "ROSTER_IMPORT_BUCKET": "roster-imports",
        "ROSTER_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:roster-activation",
        "ROSTER_IMPORT_QUEUE_URL": "http://127.0.0.1:9/123456789012/roster-import-continuations",
        "ROSTER_EMAIL_FROM": "no-reply@roster.example",
    }
    # SSL_CERT_FILE, when given, is passed on: with it the SDK reads that bundle only, as on a
    # platform whose certificate directory holds no per-certificate files (docs/benchmarks.md).
    if os.environ.get("SSL_CERT_FILE"):
        env["SSL_CERT_FILE"] = os.environ["SSL_CERT_FILE"]
    times = {name: [] for name in paths}
    for _ in range(runs):
        for name, path in paths.items():
            times[name].append(cold_start(path, BINARIES[name], env))
    baseline = statistics.median(times["empty-http"])
    print(f"cold start, median of {runs} runs each, interleaved (process start to first response)")
    floor = statistics.median(times["sdk-floor"])
    print("| binary | median ms | p90 ms | ratio to empty lambda_http | ratio to the SDK floor | zipped package MB |")
    print("|---|---|---|---|---|---|")
    for name, samples in times.items():
        median = statistics.median(samples)
        p90 = sorted(samples)[max(0, int(len(samples) * 0.9) - 1)]
        size = zipped_size(paths[name]) / 1_000_000
        print(f"| {name} | {median * 1000:.1f} | {p90 * 1000:.1f} | {median / baseline:.2f}x "
              f"| {median / floor:.2f}x | {size:.2f} |")


if __name__ == "__main__":
    main()
