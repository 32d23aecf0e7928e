"""Where the local stack listens and what its resources are called."""

import os
import socket
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
STATE = ROOT / ".roster"
# A second stack (the walkthrough test) keeps its pid and logs apart from a developer's.
DEV_STATE = Path(os.environ.get("ROSTER_DEV_STATE_DIR") or STATE / "dev")
TEMPLATE = ROOT / "infra" / "template.yaml"
VENV_BIN = ROOT / ".venv" / "bin"

# moto's fixed account: ARNs and queue URLs are predictable.
ACCOUNT = "123456789012"


@dataclass(frozen=True)
class Settings:
    api_port: int
    aws_port: int
    lambda_port: int
    region: str = "us-east-1"
    table: str = "roster"
    bucket: str = "roster-imports"
    topic: str = "roster-activation"
    continuation_queue: str = "roster-import-continuations"
    dead_letter_queue: str = "roster-dead-letters"
    email_from: str = "no-reply@roster.example"
    # `cargo lambda watch` rebuilds and restarts every function when a file under the
    # repository changes: what a developer wants, and a stray 500 for whatever was in flight.
    # Stacks that run checks (the walkthrough, the API fuzz, the hostile files) turn it off.
    reload: bool = True

    @staticmethod
    def from_environment():
        return Settings(
            api_port=int(os.environ.get("ROSTER_API_PORT", "3000")),
            aws_port=int(os.environ.get("ROSTER_AWS_PORT", "4566")),
            lambda_port=int(os.environ.get("ROSTER_LAMBDA_PORT", "9000")),
            reload=os.environ.get("ROSTER_DEV_RELOAD", "1") != "0",
        )

    @property
    def aws_url(self):
        return f"http://127.0.0.1:{self.aws_port}"

    @property
    def api_url(self):
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def topic_arn(self):
        return f"arn:aws:sns:{self.region}:{ACCOUNT}:{self.topic}"

    def queue_url(self, name):
        return f"{self.aws_url}/{ACCOUNT}/{name}"

    def queue_arn(self, name):
        return f"arn:aws:sqs:{self.region}:{ACCOUNT}:{name}"

    def client_env(self):
        """What the AWS CLI, the SDK and curl need to reach the local stack."""
        return {
            "AWS_ENDPOINT_URL": self.aws_url,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "ROSTER_API_URL": self.api_url,
            "ROSTER_TABLE": self.table,
            "ROSTER_IMPORT_BUCKET": self.bucket,
            "ROSTER_TOPIC_ARN": self.topic_arn,
        }

    def function_env(self):
        """What the functions read at cold start (the template's Globals, pointed at the emulator)."""
        return {
            **self.client_env(),
            "ROSTER_TOPIC_NAME": self.topic,
            "ROSTER_IMPORT_QUEUE_NAME": self.continuation_queue,
            "ROSTER_IMPORT_QUEUE_URL": self.queue_url(self.continuation_queue),
            "ROSTER_EMAIL_FROM": self.email_from,
        }

    def physical(self, logical_id):
        """The local name of a template resource that triggers a function."""
        names = {
            "ImportBucket": self.bucket,
            "ActivationTopic": self.topic_arn,
            "ImportContinuationQueue": self.continuation_queue,
        }
        if logical_id not in names:
            raise SystemExit(f"scripts/dev does not know how to run {logical_id} locally")
        return names[logical_id]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def isolated_stack_env(state_dir):
    """The environment for a second stack beside a developer's (the walkthrough, the hostile
    files): free ports, its own state directory, none of a running stack's variables."""
    env = {
        **os.environ,
        "ROSTER_API_PORT": str(free_port()),
        "ROSTER_AWS_PORT": str(free_port()),
        "ROSTER_LAMBDA_PORT": str(free_port()),
        "ROSTER_DEV_STATE_DIR": str(state_dir),
        "ROSTER_DEV_RELOAD": "0",
    }
    for name in ("AWS_ENDPOINT_URL", "ROSTER_TABLE", "ROSTER_IMPORT_BUCKET", "ROSTER_TOPIC_ARN"):
        env.pop(name, None)
    return env
