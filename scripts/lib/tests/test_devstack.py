"""The local gateway and dev tokens behave like API Gateway's JWT authorizer."""

import json
import threading
import time
import unittest
import unittest.mock
import urllib.error
import urllib.request

import cfn
from devstack import config, gateway, tokens
from devstack.lambdas import FunctionError


class RecordingLambdas:
    """Stands in for `cargo lambda watch`: records each event and answers like a function."""

    def __init__(self):
        self.events = []

    def invoke(self, function, event, timeout=900):
        self.events.append((function, event))
        if function == "scim-authorizer":
            admitted = event["identitySource"] == ["Bearer scim.acme.good"]
            return {"isAuthorized": admitted, "context": {"custom:tenant_id": "acme", "sub": "scim-token:1"}}
        if event["rawPath"] == "/v1/users/crash":
            raise FunctionError("users-api: panicked at secret internals")
        return {"statusCode": 200, "headers": {"content-type": "application/json", "etag": '"3"'},
                "body": json.dumps({"ok": True})}


class GatewayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.wiring = cfn.wiring(cfn.load(config.TEMPLATE))
        cls.lambdas = RecordingLambdas()
        cls.server = gateway.serve(0, cls.wiring.routes, cls.lambdas, lambda *_: None)
        cls.url = f"http://127.0.0.1:{cls.server.server_address[1]}"
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()

    def call(self, method, path, token=None, body=None):
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request) as r:
                return r.status, json.loads(r.read()), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read()), dict(e.headers)

    def test_every_function_with_http_events_is_routed(self):
        routed = {r.function for r in self.wiring.routes}
        self.assertEqual(routed, {"users-api", "imports-api", "device-activation"})

    def test_admin_routes_need_a_valid_token(self):
        before = len(self.lambdas.events)
        good = tokens.mint("acme", ["admin"])
        header, payload, signature = good.split(".")
        forged = tokens._b64(json.dumps({**tokens.verify(good), "custom:tenant_id": "other"}).encode())
        for token in (None, "not-a-jwt", f"{header}.{forged}.{signature}",
                      tokens.mint("acme", ["admin"], now=time.time() - 2 * tokens.LIFETIME_SECONDS)):
            status, body, _ = self.call("GET", "/v1/users", token)
            self.assertEqual((status, body), (401, {"message": "Unauthorized"}), token)
        self.assertEqual(len(self.lambdas.events), before, "no function ran")

    def test_unsigned_tokens_are_refused(self):
        claims = tokens._b64(json.dumps({"sub": "x", "iss": tokens.ISSUER, "aud": tokens.AUDIENCE,
                                         "exp": time.time() + 60}).encode())
        none_alg = tokens._b64(json.dumps({"alg": "none"}).encode())
        status, _, _ = self.call("GET", "/v1/users", f"{none_alg}.{claims}.")
        self.assertEqual(status, 401)

    def test_claims_reach_the_function_as_api_gateway_flattens_them(self):
        token = tokens.mint("acme", ["manager", "analyst"], sub="u-7", departments=["ops", "sales"])
        status, body, headers = self.call("PATCH", "/v1/users/01ABC?x=1&x=2", token, {"first_name": "A"})
        self.assertEqual((status, body, headers["etag"]), (200, {"ok": True}, '"3"'))
        function, event = self.lambdas.events[-1]
        self.assertEqual(function, "users-api")
        claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
        self.assertEqual(claims["custom:tenant_id"], "acme")
        self.assertEqual(claims["cognito:groups"], "[manager analyst]")
        self.assertEqual(claims["custom:department_ids"], "ops,sales")
        self.assertEqual(claims["sub"], "u-7")
        self.assertEqual(event["routeKey"], "ANY /v1/users/{proxy+}")
        self.assertEqual(event["pathParameters"], {"proxy": "01ABC"})
        self.assertEqual(event["queryStringParameters"], {"x": "1,2"})
        self.assertEqual(json.loads(event["body"]), {"first_name": "A"})
        self.assertNotIn("name", claims)

    def test_names_and_emails_ride_in_the_token_when_given(self):
        token = tokens.mint("acme", ["admin"], name="Ann Lee", email="ann@example.com")
        claims = tokens.verify(token)
        self.assertEqual((claims["name"], claims["email"]), ("Ann Lee", "ann@example.com"))

    def test_public_routes_pass_without_an_authorizer(self):
        status, _, _ = self.call("POST", "/v1/activate", None, {"tenant_id": "acme"})
        self.assertEqual(status, 200)
        function, event = self.lambdas.events[-1]
        self.assertEqual(function, "device-activation")
        self.assertNotIn("authorizer", event["requestContext"])

    def test_scim_routes_run_the_token_authorizer(self):
        before = len(self.lambdas.events)
        status, body, _ = self.call("GET", "/scim/v2/Users", "scim.acme.wrong")
        self.assertEqual((status, body), (403, {"message": "Forbidden"}))
        self.assertEqual([f for f, _ in self.lambdas.events[before:]], ["scim-authorizer"])
        self.assertEqual(self.call("GET", "/scim/v2/Users")[0], 401, "no token, no authorizer call")
        status, _, _ = self.call("GET", "/scim/v2/Users?filter=x", "scim.acme.good")
        self.assertEqual(status, 200)
        function, event = self.lambdas.events[-1]
        self.assertEqual(function, "users-api")
        self.assertEqual(event["requestContext"]["authorizer"],
                         {"lambda": {"custom:tenant_id": "acme", "sub": "scim-token:1"}})
        self.assertEqual(event["headers"]["x-forwarded-proto"], "http")

    def test_a_dev_token_opens_the_scim_routes_locally(self):
        status, _, _ = self.call("GET", "/scim/v2/Users", tokens.mint("acme", ["admin"]))
        self.assertEqual(status, 200)
        function, event = self.lambdas.events[-1]
        self.assertEqual(function, "users-api", "the authorizer was not needed")
        self.assertEqual(event["requestContext"]["authorizer"]["jwt"]["claims"]["custom:tenant_id"], "acme")

    def test_unknown_routes_and_methods_are_404(self):
        token = tokens.mint("acme", ["admin"])
        self.assertEqual(self.call("GET", "/v2/users", token)[0], 404)
        self.assertEqual(self.call("DELETE", "/v1/activates")[0], 404)

    def test_any_method_reaches_the_route_table(self):
        # Methods the HTTP server does not know (TRACE, QUERY) are routed like any other, so
        # the function answers 405 with Allow instead of the server's own 501 page.
        request = urllib.request.Request(self.url + "/v1/activate", method="QUERY")
        with urllib.request.urlopen(request) as r:
            self.assertEqual(r.status, 200)
        self.assertEqual(self.lambdas.events[-1][0], "device-activation")

    def test_function_failures_hide_their_details(self):
        status, body, _ = self.call("GET", "/v1/users/crash", tokens.mint("acme", ["admin"]))
        self.assertEqual((status, body), (500, {"message": "Internal Server Error"}))


class WiringTest(unittest.TestCase):
    def test_triggers_come_from_the_template(self):
        wiring = cfn.wiring(cfn.load(config.TEMPLATE))
        kinds = {(t.kind, t.function, t.source) for t in wiring.triggers}
        self.assertEqual(kinds, {
            ("S3", "import-worker", "ImportBucket"),
            ("SQS", "import-worker", "ImportContinuationQueue"),
            ("SNS", "activation-sender", "ActivationTopic"),
            ("Schedule", "import-worker", "rate(5 minutes)"),
        })
        sweep = next(t for t in wiring.triggers if t.kind == "Schedule")
        self.assertEqual(sweep.every_seconds, 300)
        upload = next(t for t in wiring.triggers if t.kind == "S3")
        self.assertEqual(upload.s3_filter_rules, [{"Name": "prefix", "Value": "imports/"}])
        crates = {p.name for p in (config.ROOT / "functions").iterdir() if (p / "Cargo.toml").exists()}
        self.assertEqual(set(wiring.functions), crates, "every function crate is deployed and run locally")


class CheckingStacks(unittest.TestCase):
    def test_stacks_that_run_checks_do_not_reload_on_file_changes(self):
        # A reload restarts every function; in the API fuzz it turned whatever was in flight
        # into a 500 (Hypothesis's cache was changing under the repository).
        env = config.isolated_stack_env(config.STATE / "unused")
        with unittest.mock.patch.dict("os.environ", env, clear=True):
            self.assertFalse(config.Settings.from_environment().reload)
        with unittest.mock.patch.dict("os.environ", {}, clear=True):
            self.assertTrue(config.Settings.from_environment().reload, "a developer's stack reloads")
        self.assertNotEqual({env["ROSTER_API_PORT"], env["ROSTER_AWS_PORT"]}, {"3000", "4566"})



class S3Notifications(unittest.TestCase):
    """moto 5.2.5's notifications become the S3 events AWS would send."""

    @staticmethod
    def message(message_id, event_name, etag):
        body = {"Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "eventName": event_name,
            "eventTime": "2026-12-03T08:24:40.000Z", "awsRegion": "us-east-1",
            "s3": {"bucket": {"name": "b", "arn": "arn:aws:s3:::b"},
                   "object": {"key": "imports/acme/big.csv", "size": 9, "eTag": etag}},
        }]}
        return {"MessageId": message_id, "Body": json.dumps(body)}

    def test_a_multipart_upload_is_one_event(self):
        from devstack.relays import s3_event

        event = s3_event([
            self.message("m1", "ObjectCreated:Put", "9b2cf535f27731c974343645a3985328-2"),
            self.message("m2", "ObjectCreated:CompleteMultipartUpload", "9b2cf535f27731c974343645a3985328-2"),
        ])
        self.assertEqual([r["eventName"] for r in event["Records"]], ["ObjectCreated:CompleteMultipartUpload"])
        single = s3_event([self.message("m3", "ObjectCreated:Put", "9b2cf535f27731c974343645a3985328")])
        self.assertEqual(len(single["Records"]), 1)

    def test_a_redelivered_notification_is_the_same_event(self):
        from devstack.relays import s3_event

        first = s3_event([self.message("m1", "ObjectCreated:Put", "abc")])
        again = s3_event([self.message("m1", "ObjectCreated:Put", "abc")])
        other = s3_event([self.message("m2", "ObjectCreated:Put", "abc")])
        sequencer = lambda e: e["Records"][0]["s3"]["object"]["sequencer"]
        self.assertEqual(sequencer(first), sequencer(again))
        self.assertNotEqual(sequencer(first), sequencer(other))


if __name__ == "__main__":
    unittest.main()
