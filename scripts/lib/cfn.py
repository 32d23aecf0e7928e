"""Reads infra/template.yaml: the one definition of the resources and of how functions are wired.

Both the emulator provisioning (provision.py) and the local stack (devstack) take what they
need from here, so a route, a trigger or an index cannot exist locally and not in the template.
"""

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml


class CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short-form tags (!Ref, !Sub, !GetAtt…) as plain values."""


def _any_tag(loader, _suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


CfnLoader.add_multi_constructor("!", _any_tag)


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=CfnLoader)


def properties(template, kind, logical_id):
    resource = template["Resources"].get(logical_id)
    if not resource or resource["Type"] != kind:
        sys.exit(f"the template has no {kind} named {logical_id}")
    return resource.get("Properties", {})


@dataclass
class Route:
    """One HTTP API route: `ANY /v1/users/{proxy+}` → users-api."""

    method: str
    path: str
    function: str
    authorized: bool
    # The function of the route's Lambda authorizer (None: the JWT authorizer, or no check).
    authorizer: str | None = None

    @property
    def key(self):
        return f"{self.method} {self.path}"

    @property
    def greedy(self):
        return self.path.endswith("/{proxy+}")

    def matches(self, method, path):
        if self.method not in ("ANY", method):
            return False
        if self.greedy:
            prefix = self.path[: -len("{proxy+}")]
            return path.startswith(prefix) and len(path) > len(prefix)
        return path == self.path


@dataclass
class Trigger:
    """An event source of a function: S3 uploads, an SNS topic, an SQS queue or a schedule."""

    kind: str
    function: str
    source: str
    s3_events: list = field(default_factory=list)
    s3_filter_rules: list = field(default_factory=list)
    batch_size: int = 1
    attempts: int = 3
    every_seconds: int = 0


@dataclass
class Wiring:
    routes: list
    triggers: list
    functions: list


def function_name(props):
    """The binary cargo-lambda serves: the crate directory named by CodeUri."""
    return Path(props["CodeUri"]).name


def _ref(value):
    """`!Ref X` / `!GetAtt X.Arn` read as plain values: the logical id they point at."""
    if isinstance(value, list):
        value = value[0]
    return re.split(r"[.]", str(value))[0]


def rate_seconds(expression):
    """`rate(5 minutes)` in seconds (the only schedule form the template uses)."""
    match = re.fullmatch(r"rate\((\d+) (second|minute|hour|day)s?\)", expression.strip())
    if not match:
        raise SystemExit(f"scripts/dev cannot run the schedule {expression!r}")
    unit = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}[match.group(2)]
    return int(match.group(1)) * unit


def lambda_authorizers(template):
    """Lambda authorizers of the HTTP APIs: authorizer name -> the function that runs it."""
    names = {
        logical_id: function_name(r.get("Properties", {}))
        for logical_id, r in template["Resources"].items()
        if r["Type"] == "AWS::Serverless::Function"
    }
    found = {}
    for r in template["Resources"].values():
        if r["Type"] != "AWS::Serverless::HttpApi":
            continue
        for name, config in r.get("Properties", {}).get("Auth", {}).get("Authorizers", {}).items():
            if "FunctionArn" in config:
                found[name] = names[_ref(config["FunctionArn"])]
    return found


def wiring(template):
    """Routes and triggers of every function, as the template declares them."""
    routes, triggers, functions = [], [], []
    authorizers = lambda_authorizers(template)
    for props in (
        r.get("Properties", {})
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Serverless::Function"
    ):
        name = function_name(props)
        functions.append(name)
        retries = props.get("EventInvokeConfig", {}).get("MaximumRetryAttempts", 2)
        for event in props.get("Events", {}).values():
            p = event.get("Properties", {})
            kind = event["Type"]
            if kind == "HttpApi":
                auth = p.get("Auth", {}).get("Authorizer")
                routes.append(
                    Route(p["Method"].upper(), p["Path"], name, auth != "NONE", authorizers.get(auth))
                )
            elif kind == "S3":
                events = p["Events"] if isinstance(p["Events"], list) else [p["Events"]]
                rules = p.get("Filter", {}).get("S3Key", {}).get("Rules", [])
                triggers.append(
                    Trigger("S3", name, _ref(p["Bucket"]), events, rules, attempts=retries + 1)
                )
            elif kind == "SNS":
                triggers.append(Trigger("SNS", name, _ref(p["Topic"]), attempts=retries + 1))
            elif kind == "SQS":
                triggers.append(
                    Trigger("SQS", name, _ref(p["Queue"]), batch_size=p.get("BatchSize", 10))
                )
            elif kind == "Schedule":
                triggers.append(
                    Trigger("Schedule", name, p["Schedule"], every_seconds=rate_seconds(p["Schedule"]))
                )
    # API Gateway prefers exact routes to greedy ones, and longer paths to shorter ones.
    routes.sort(key=lambda r: (r.greedy, -len(r.path)))
    return Wiring(routes, triggers, functions)
