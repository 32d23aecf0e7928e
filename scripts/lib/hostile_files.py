"""scripts/hostile-files: drops every file of the hostile corpus (hostile_corpus.py) into a local
stack of release builds, the way an admin or an integration would (`aws s3 cp`), with the import
worker held to its deployed memory size (the template's MemorySize as an address-space limit,
`ulimit -v`), and checks each job's outcome, the worker's peak RSS and time, that the worker
survived, and that a good file dropped right after imports.

It starts its own stack (free ports, its own state directory) and stops it when done. Results
go to stdout and .roster/hostile/results.md (docs/security.md keeps the last run's table).

Usage: hostile_files.py [name-substring...]   (from scripts/hostile-files)
"""

import hashlib
import os
import resource
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import cfn
import hostile_corpus
from bench_import import api, peak_rss_mb, worker_pids
from devstack.config import ROOT, STATE, TEMPLATE, isolated_stack_env

WORK = STATE / "hostile"
FILES = WORK / "files"
DONE = ("completed", "completed_with_errors", "failed", "cancelled")
CASE_TIMEOUT = 900


def worker_memory_mb():
    template = cfn.load(TEMPLATE)
    for r in template["Resources"].values():
        props = r.get("Properties", {})
        if r["Type"] == "AWS::Serverless::Function" and cfn.function_name(props) == "import-worker":
            return int(props["MemorySize"])
    raise SystemExit("the template has no import-worker function")


def generate(cases):
    """Writes the corpus once per version of its generator."""
    stamp = hashlib.sha256(Path(hostile_corpus.__file__).read_bytes()).hexdigest()
    marker = FILES / ".generated-by"
    if marker.exists() and marker.read_text() == stamp and all((FILES / c.name).exists() for c in cases):
        return
    FILES.mkdir(parents=True, exist_ok=True)
    for case in cases:
        case.write(FILES / case.name)
    marker.write_text(stamp)


def hold_worker_to(limit_bytes):
    """Every running worker process: address space capped, peak RSS reset. Returns the pids."""
    pids = worker_pids()
    for pid in pids:
        resource.prlimit(int(pid), resource.RLIMIT_AS, (limit_bytes, limit_bytes))
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM
    return pids


class Stack:
    def __init__(self):
        self.env = isolated_stack_env(WORK / "stack")
        os.environ.update({k: self.env[k] for k in ("ROSTER_API_PORT", "ROSTER_AWS_PORT", "ROSTER_LAMBDA_PORT")})
        from devstack.config import Settings
        self.settings = Settings.from_environment()

    def dev(self, *args, **kwargs):
        return subprocess.run([str(ROOT / "scripts/dev"), *args], env=self.env, check=True, **kwargs)

    def up(self):
        self.dev("up", "--detach", "--release")

    def down(self):
        subprocess.run([str(ROOT / "scripts/dev"), "down"], env=self.env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def token(self, tenant):
        return self.dev("token", "--tenant", tenant, "--roles", "admin",
                        capture_output=True, text=True).stdout.strip()

    def drop(self, path, tenant):
        env = {**self.env, **self.settings.client_env()}
        subprocess.run([str(ROOT / ".venv/bin/aws"), "s3", "cp", "--only-show-errors", str(path),
                        f"s3://{self.settings.bucket}/imports/{tenant}/{path.name}"], check=True, env=env)

    def wait_for_job(self, token, name):
        deadline = time.monotonic() + CASE_TIMEOUT
        while time.monotonic() < deadline:
            jobs = api(self.settings, token, "/v1/imports?limit=100")["items"]
            job = next((j for j in jobs if j["file_name"] == name), None)
            if job and job["status"] in DONE:
                return job
            time.sleep(0.5)
        return None

    def report_text(self, token, job):
        url = api(self.settings, token, f"/v1/imports/{job['id']}/report")["url"]
        with urllib.request.urlopen(url, timeout=120) as response:
            return response.read().decode("utf-8-sig", "replace")


def check(case, job, report):
    """What is wrong with a job's outcome for its case (empty when it is as expected)."""
    if job is None:
        return [f"no final status within {CASE_TIMEOUT} s"]
    problems = []
    counts = job["counts"]
    if job["status"] not in case.status:
        problems.append(f"status {job['status']} (expected {' or '.join(case.status)})")
    if case.error and case.error not in (job.get("error") or ""):
        problems.append(f"error {job.get('error')!r} does not say {case.error!r}")
    if job["status"] == "failed" and not job.get("error"):
        problems.append("failed without a message")
    if case.created is not None and counts["created"] != case.created:
        problems.append(f"created {counts['created']}, expected {case.created}")
    if case.failed is not None and counts["failed"] != case.failed:
        problems.append(f"failed {counts['failed']}, expected {case.failed}")
    for words in case.report:
        if report is None or words not in report:
            problems.append(f"the report does not hold {words!r}")
    return problems


def outcome_text(job):
    if job is None:
        return "—"
    if job["status"] == "failed":
        return f"failed: {job.get('error')}"
    c = job["counts"]
    return f"{job['status']} (created {c['created']}, failed {c['failed']})"


def main():
    only = sys.argv[1:]
    cases = [c for c in hostile_corpus.corpus() if not only or any(o in c.name for o in only)]
    memory_mb = worker_memory_mb()
    print(f"generating {len(cases)} hostile files into {FILES.relative_to(ROOT)}", flush=True)
    generate(cases)
    stack = Stack()
    print("starting a local stack of release builds (scripts/dev up --detach --release)", flush=True)
    rows, failures = [], 0
    try:
        stack.up()
        tenant = f"hostile{int(time.time())}"
        token = stack.token(tenant)
        for i, case in enumerate(cases):
            pids = hold_worker_to(memory_mb * 1024 * 1024)
            path = FILES / case.name
            started = time.monotonic()
            stack.drop(path, tenant)
            job = stack.wait_for_job(token, case.name)
            seconds = time.monotonic() - started
            peak = peak_rss_mb()
            survived = pids and worker_pids() == pids
            report = None
            if job and job["status"] in ("completed_with_errors",) and case.report:
                report = stack.report_text(token, job)
            problems = check(case, job, report)
            if not survived:
                problems.append("the worker process died")
            # The next good file still imports.
            good = WORK / f"good-after-{i:02}.csv"
            good.write_text(hostile_corpus.csv_text([hostile_corpus.row(f"after{i}")]))
            stack.drop(good, tenant)
            after = stack.wait_for_job(token, good.name)
            if not after or (after["status"], after["counts"]["created"]) != ("completed", 1):
                problems.append(f"the good file dropped next did not import: {outcome_text(after)}")
            failures += bool(problems)
            rows.append((case, path.stat().st_size, job, seconds, peak, problems))
            mark = "ok  " if not problems else "FAIL"
            print(f"{mark} {case.name:40} {seconds:6.1f} s  {peak or 0:6.0f} MB  {outcome_text(job)}"
                  + "".join(f"\n       {p}" for p in problems), flush=True)
    finally:
        stack.down()

    table = ["| file | what it is | size | outcome (the job's message) | time | worker peak RSS |",
             "|---|---|---|---|---|---|"]
    for case, size, job, seconds, peak, problems in rows:
        text = outcome_text(job).replace("|", "\\|")
        if problems:
            text += " — **not as expected**: " + "; ".join(problems)
        table.append(f"| `{case.name}` | {case.why} | {size / 1e6:,.1f} MB | {text} | {seconds:.1f} s | "
                     f"{peak or 0:.0f} MB |")
    summary = (f"{len(rows)} files, {len(rows) - failures} as expected, worker limited to "
               f"{memory_mb} MB of address space; a good file imported after each")
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "results.md").write_text("\n".join(table) + f"\n\n{summary}\n")
    print("\n".join(table))
    print(summary)
    if failures:
        raise SystemExit(f"hostile files: {failures} not as expected")


if __name__ == "__main__":
    main()
