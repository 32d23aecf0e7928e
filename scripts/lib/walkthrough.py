"""Runs the README walkthrough word for word against a fresh `scripts/dev up --detach`.

The block between `<!-- walkthrough -->` and `<!-- /walkthrough -->` is run by bash with
`set -euo pipefail`, on free ports and with its own state directory (a developer's running
stack is left alone), and its output must show what the README promises: both jobs done, the
error report with its rows, the activation texts. The stack is torn down however it ends.

Then, on a fresh stack started the same way, it runs the short API fuzz (`scripts/api-fuzz`,
schemathesis from docs/openapi.json, every operation, every check): it must find nothing.

Usage: walkthrough.py   (from scripts/test, with the venv's python)
"""

import re
import subprocess
import sys
from pathlib import Path

from devstack.config import isolated_stack_env

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_SECONDS = 900
# Examples per operation of the short API fuzz run (well over 1,000 cases with the coverage
# phase); `scripts/api-fuzz` alone runs 25.
API_FUZZ_EXAMPLES = 3


def walkthrough_block():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- walkthrough -->\s*```sh\n(.*?)```\s*<!-- /walkthrough -->", readme, re.S)
    if not match:
        sys.exit("README.md has no walkthrough block")
    return match.group(1)


# What the output must contain, and why.
EXPECTED = [
    ("users.xlsx completed", "the valid sheet imported without errors"),
    ("users-with-errors.csv completed_with_errors", "the CSV imported its good row and reported the others"),
    ("Row,Login,First Name,Last Name,Email,Mobile Phone,Department,Roles,Send Text,Errors", "the report keeps the original columns"),
    ("3,eve.nakamura,Eve,,", "the row without a last name is reported with its sheet row number"),
    ("last_name: is required", "the report says what is wrong"),
    ("'=HYPERLINK", "a formula cell is neutralised in the report"),
    ("+12015550188 Your Roster activation code is", "Jane got her activation text"),
    ("+12015550141 Your Roster activation code is", "Ava (send_text in users.xlsx) got hers"),
    ('"login":"jane.doe"', "Jane is listed among the group's members"),
    ('"mac_address":"00:1a:2b:3c:4d:5e"', "her desk phone's MAC address is stored normalised"),
    ('"name":"Reception","phone":"+12015550100"', "the address book finds the shared contact"),
    ('"userName":"max.okta"', "SCIM created Max with the tenant's SCIM token"),
    ('"totalResults":1', "SCIM found Max by userName in another case"),
    ("scim2-tester: 74 checks", "the SCIM compliance tester ran all its checks"),
]


def main():
    state = ROOT / ".roster" / "walkthrough"
    env = isolated_stack_env(state)
    script = "set -euo pipefail\n" + walkthrough_block()
    fuzz = None
    try:
        output, status = run_captured(["bash", "-c", script], env)
        if status == 0:
            # The short API fuzz run, on a fresh stack started the same way (the walkthrough
            # stops its own as its last step).
            fuzz = run_captured([str(ROOT / "scripts" / "dev"), "up", "--detach"], env)
            if fuzz[1] == 0:
                fuzz = run_captured([str(ROOT / "scripts" / "api-fuzz"), str(API_FUZZ_EXAMPLES)], env)
    finally:
        subprocess.run([str(ROOT / "scripts" / "dev"), "down"], cwd=ROOT, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    missing = [why for text, why in EXPECTED if text not in output]
    if status != 0 or missing:
        print(output)
        log = state / "dev.log"
        if log.exists():
            print("---- the stack's log (last 80 lines) ----")
            print("\n".join(log.read_text(errors="replace").splitlines()[-80:]))
        print(f"walkthrough: FAILED (exit {status})")
        for why in missing:
            print(f"  missing from the output: {why}")
        sys.exit(1)
    print(f"walkthrough: every step of the README worked ({len(EXPECTED)} checks)")
    fuzz_output, fuzz_status = fuzz
    cases = re.search(r"\d+ generated[^\n]*", fuzz_output)
    if fuzz_status != 0:
        print(fuzz_output[-20000:])
        print_server_errors(state / "dev.log")
        print(f"api fuzz: FAILED (exit {fuzz_status})")
        sys.exit(1)
    print(f"api fuzz: no failures ({cases.group(0) if cases else 'no case count printed'})")


def print_server_errors(log):
    """The stack's own account of each 5xx (the gateway's note) and of function restarts, which
    the fuzzer's report cannot show: in CI this is the only trace of why a function failed."""
    if not log.exists():
        return
    lines = log.read_text(errors="replace").splitlines()
    telling = [line for line in lines if re.search(r"-> 5\d\d |command killed|panicked", line)]
    print(f"---- the stack's 5xx answers and function restarts ({len(telling)}) ----")
    print("\n".join(telling[-60:]))


def run_captured(argv, env):
    """(output, exit status or "timeout") of a command run from the repository root."""
    try:
        run = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT_SECONDS)
        return run.stdout, run.returncode
    except subprocess.TimeoutExpired as e:
        output = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        return output, "timeout"


if __name__ == "__main__":
    main()
