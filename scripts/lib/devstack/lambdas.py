"""Invokes functions served by `cargo lambda watch`, the way the Lambda Invoke API does.

Only the invocation endpoint carries a complete event through (authorizer claims included);
cargo-lambda's own /lambda-url/ route builds its event without an authorizer.
"""

import json
import urllib.error
import urllib.request


class FunctionError(Exception):
    """The function failed or could not be reached; the text is for the operator's log only."""


class Unreachable(FunctionError):
    """Nothing answers on the invocation endpoint (yet)."""


class Lambdas:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}/2015-03-31/functions"

    def invoke(self, function, event, timeout=900):
        request = urllib.request.Request(
            f"{self.base}/{function}/invocations",
            data=json.dumps(event).encode(),
            headers={"content-type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                failed = response.headers.get("X-Amz-Function-Error")
                payload = response.read()
        except urllib.error.HTTPError as e:
            raise FunctionError(f"{function}: HTTP {e.code}: {e.read()[:500]!r}") from e
        except OSError as e:
            raise Unreachable(f"{function}: {e}") from e
        result = json.loads(payload) if payload.strip() else None
        if failed or (isinstance(result, dict) and "errorType" in result):
            raise FunctionError(f"{function}: {payload[:500]!r}")
        return result
