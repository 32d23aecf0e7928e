"""scripts/dev: run the whole of Roster on this machine.

  up [--detach] [--release]
                  emulator, resources from the template, functions under `cargo lambda watch`,
                  the local API gateway and the S3 / SNS / SQS relays; Ctrl-C stops all of it.
                  With --detach it returns once every part answers (logs: .roster/dev/dev.log).
                  With --release the functions are optimised builds (for big imports, benches).
  down            stops a detached stack.
  env             export lines for the AWS CLI, the SDK and curl.
  token           a bearer token the local gateway accepts.
"""

import argparse
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from . import tokens
from .config import DEV_STATE, ROOT, TEMPLATE, VENV_BIN, Settings

PID_FILE = DEV_STATE / "pid"
READY_FILE = DEV_STATE / "ready"
LOG_FILE = DEV_STATE / "dev.log"

_print_lock = threading.Lock()


def say(part, line):
    with _print_lock:
        print(f"{part:>17} | {line}", flush=True)


def pump(part, stream, keep=None, show=lambda _line: True):
    """Copies a child's output line by line, each line prefixed with the part's name; with
    `keep`, every line also goes to that file and only those `show` accepts reach the console."""
    for raw in iter(stream.readline, b""):
        if keep:
            keep.write(raw)
            keep.flush()
        line = raw.decode("utf-8", "replace").rstrip()
        if show(line):
            say(part, line)


# The emulator logs every request; the relays poll it twice a second. The console gets what
# matters: server errors, warnings and tracebacks (the whole log stays in emulator.log).
ROUTINE_REQUEST = re.compile(r'"[A-Z]+ \S+ HTTP/[\d.]+" [1-4]\d\d ')


class Stack:
    """Every part of the local stack; stop() tears down whatever was started."""

    def __init__(self, settings):
        self.settings = settings
        self.children = []
        self.servers = []
        self.relays = []

    def spawn(self, part, argv, env=None, **pump_options):
        child = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        threading.Thread(target=pump, args=(part, child.stdout), kwargs=pump_options,
                         daemon=True).start()
        self.children.append((part, child))
        return child

    def stop(self):
        for relay in self.relays:
            relay.stopped.set()
        for server in self.servers:
            server.shutdown()
        for part, child in reversed(self.children):
            if child.poll() is None:
                try:
                    os.killpg(child.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(child.pid, signal.SIGKILL)
            say("dev", f"stopped {part}")

    def failed_child(self):
        return next(((p, c) for p, c in self.children if c.poll() is not None), None)


def wait_until(what, check, stack, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        dead = stack.failed_child()
        if dead:
            raise SystemExit(f"{dead[0]} exited with status {dead[1].returncode} while waiting for {what}")
        time.sleep(0.3)
    raise SystemExit(f"{what} did not answer within {timeout} s")


def answers(url):
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def start(stack):
    import boto3  # from the project venv; `env` and `token` do not need it

    import cfn  # scripts/lib is on the module path (see scripts/dev)

    from . import gateway, relays
    from .lambdas import Lambdas

    s = stack.settings
    template = cfn.load(TEMPLATE)
    wiring = cfn.wiring(template)
    env = {**os.environ, **s.function_env(), "PATH": f"{VENV_BIN}:{os.environ['PATH']}"}

    say("dev", f"starting the AWS emulator on {s.aws_url} "
               f"(its request log: {os.path.relpath(DEV_STATE / 'emulator.log', ROOT)})")
    stack.spawn(
        "emulator",
        [str(VENV_BIN / "python"), str(ROOT / "scripts/lib/moto_server.py"), "127.0.0.1", str(s.aws_port)],
        keep=open(DEV_STATE / "emulator.log", "wb"),
        show=lambda line: not ROUTINE_REQUEST.search(line),
    )
    wait_until("the emulator", lambda: answers(f"{s.aws_url}/moto-api/data.json"), stack, 60)

    say("dev", "creating the table, bucket, queues, topic and e-mail identity from infra/template.yaml")
    subprocess.run(
        [str(VENV_BIN / "python"), str(ROOT / "scripts/lib/provision.py"), str(TEMPLATE)],
        env=env, check=True, stdout=subprocess.DEVNULL,
    )

    packages = [arg for f in wiring.functions for arg in ("-p", f)]
    say("dev", "building the functions (the first run compiles the AWS SDK: several minutes)")
    profile = ["--release"] if stack.release else []
    build = stack.spawn("build", ["cargo", "build", "--locked", *profile, "--bins", *packages], env=env)
    if build.wait() != 0:
        raise SystemExit("the build failed (see the lines above)")
    stack.children.remove(("build", build))

    say("dev", f"serving {', '.join(wiring.functions)} with cargo lambda watch")
    stack.spawn("lambda", [
        str(VENV_BIN / "cargo-lambda"), "lambda", "watch", *profile,
        *([] if s.reload else ["--ignore-changes"]),
        "--invoke-address", "127.0.0.1", "--invoke-port", str(s.lambda_port),
    ], env=env)
    lambdas = Lambdas(s.lambda_port)
    warm_up(wiring, lambdas, stack)

    session = boto3.session.Session(
        region_name=s.region, aws_access_key_id="testing", aws_secret_access_key="testing",
    )
    for trigger in wiring.triggers:
        relay = relays.plumb(trigger, s, session, lambdas, say)
        stack.relays.append(relay)
        relay.start()
        say("dev", f"relaying {trigger.kind} {trigger.source} -> {trigger.function}")

    try:
        server = gateway.serve(s.api_port, wiring.routes, lambdas, say)
    except OSError as e:
        raise SystemExit(f"the gateway cannot listen on {s.api_url} ({e}); set ROSTER_API_PORT")
    stack.servers.append(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    wait_until("the gateway", lambda: answers(f"{s.api_url}/v1/openapi.json"), stack, 30)


def warm_up(wiring, lambdas, stack):
    """Invokes each function once so that `up` returns only when all of them answer."""
    from .lambdas import FunctionError, Unreachable

    http = {r.function for r in wiring.routes}
    for function in wiring.functions:
        event = {"Records": []}
        if function in http:
            event = {
                "version": "2.0", "routeKey": "$default", "rawPath": "/", "rawQueryString": "",
                "headers": {}, "isBase64Encoded": False,
                "requestContext": {"http": {"method": "GET", "path": "/", "protocol": "HTTP/1.1",
                                            "sourceIp": "127.0.0.1", "userAgent": "warm-up"},
                                   "requestId": "warm-up", "routeKey": "$default", "stage": "$default",
                                   "accountId": "123456789012", "apiId": "local",
                                   "domainName": "localhost", "domainPrefix": "localhost",
                                   "time": "01/Jan/2026:00:00:00 +0000", "timeEpoch": 0},
            }

        def answered(function=function, event=event):
            try:
                lambdas.invoke(function, event, timeout=300)
            except Unreachable:
                return False
            except FunctionError:
                pass  # it ran and rejected the empty event: it answers
            return True

        wait_until(f"the {function} function", answered, stack, 600)
        say("dev", f"{function} answers")


def up(args):
    s = Settings.from_environment()
    DEV_STATE.mkdir(parents=True, exist_ok=True)
    if running_pid():
        raise SystemExit("the local stack is already running (scripts/dev down stops it)")
    if args.detach:
        return detach(s, args.release)
    READY_FILE.unlink(missing_ok=True)
    PID_FILE.write_text(str(os.getpid()))
    tokens.signing_key()
    stack = Stack(s)
    stack.release = args.release
    stopping = threading.Event()

    def on_signal(*_):
        if stopping.is_set() or not READY_FILE.exists():
            raise SystemExit("interrupted")
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        start(stack)
        READY_FILE.write_text(str(os.getpid()))
        say("dev", f"ready: API on {s.api_url}, AWS emulator on {s.aws_url}")
        say("dev", 'in another shell: eval "$(scripts/dev env)"; '
                   'TOKEN=$(scripts/dev token --tenant acme --roles admin)')
        while not stopping.wait(1):
            dead = stack.failed_child()
            if dead:
                say("dev", f"{dead[0]} exited with status {dead[1].returncode}; stopping")
                return 1
        return 0
    except SystemExit as e:
        say("dev", f"cannot start: {e}")
        return 1
    finally:
        say("dev", "stopping")
        stack.stop()
        READY_FILE.unlink(missing_ok=True)
        PID_FILE.unlink(missing_ok=True)


def detach(s, release):
    with open(LOG_FILE, "wb") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "devstack", "up", *(["--release"] if release else [])],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True, env=os.environ.copy(),
        )
    shown = 0
    while True:
        lines = LOG_FILE.read_bytes().decode("utf-8", "replace").splitlines()
        for line in lines[shown:]:
            print(line, file=sys.stderr, flush=True)
        shown = len(lines)
        if READY_FILE.exists():
            print(f"the local stack is up (API {s.api_url}); logs: {os.path.relpath(LOG_FILE, ROOT)}; "
                  "stop it with scripts/dev down", file=sys.stderr)
            return 0
        if child.poll() is not None:
            print(f"the local stack did not start; full log: {LOG_FILE}", file=sys.stderr)
            return 1
        time.sleep(0.5)


def running_pid():
    try:
        pid = int(PID_FILE.read_text())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def down(_args):
    pid = running_pid()
    if not pid:
        print("the local stack is not running", file=sys.stderr)
        return 0
    os.kill(pid, signal.SIGTERM)
    for _ in range(150):
        if not running_pid():
            print("the local stack is stopped", file=sys.stderr)
            return 0
        time.sleep(0.2)
    try:
        os.killpg(pid, signal.SIGKILL)  # a detached stack leads its own process group
    except ProcessLookupError:
        os.kill(pid, signal.SIGKILL)  # a foreground `up` in someone's terminal
    PID_FILE.unlink(missing_ok=True)
    print("the local stack did not stop in 30 s and was killed", file=sys.stderr)
    return 0


def env(_args):
    for name, value in Settings.from_environment().client_env().items():
        print(f"export {name}={shlex.quote(value)}")
    print(f'export PATH={shlex.quote(str(VENV_BIN))}:"$PATH"')
    return 0


def token(args):
    roles = [r.strip() for r in args.roles.split(",") if r.strip()]
    if not roles:
        raise SystemExit("--roles needs at least one of admin, manager, analyst")
    departments = [d.strip() for ds in args.department for d in ds.split(",") if d.strip()]
    print(tokens.mint(args.tenant, roles, sub=args.sub, departments=departments,
                      name=args.name, email=args.email))
    return 0


def main():
    parser = argparse.ArgumentParser(prog="scripts/dev", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("up", help="run the local stack (Ctrl-C stops it)")
    p.add_argument("--detach", action="store_true", help="return once everything answers")
    p.add_argument("--release", action="store_true", help="optimised builds of the functions")
    p.set_defaults(run=up)
    commands.add_parser("down", help="stop a detached stack").set_defaults(run=down)
    commands.add_parser("env", help="print export lines for the local stack").set_defaults(run=env)
    p = commands.add_parser("token", help="print a bearer token for the local gateway")
    p.add_argument("--tenant", required=True)
    p.add_argument("--roles", required=True, help="comma-separated: admin, manager, analyst")
    p.add_argument("--sub", help="the token's subject (default: dev-<role>@<tenant>)")
    p.add_argument("--department", action="append", default=[],
                   help="a department a manager manages (repeat or comma-separate)")
    p.add_argument("--name", help="the caller's display name (the `name` claim)")
    p.add_argument("--email", help="the caller's e-mail address (the `email` claim)")
    p.set_defaults(run=token)
    args = parser.parse_args()
    sys.exit(args.run(args))


if __name__ == "__main__":
    main()
