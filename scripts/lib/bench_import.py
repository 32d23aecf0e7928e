"""scripts/bench-import ROWS [csv|xlsx]: a big sheet dropped into the running local stack, the way an admin
would (`aws s3 cp`), timed to its final status and checked row by row.

The sheet (a CSV, or an XLSX laid out as Excel saves one: shared strings, one sheet) has seed
001's columns (no department column); one row in 100 has a broken e-mail
address and must come back in the error report. Afterwards it checks that every valid row is
stored exactly once (by reading the tenant's list index), that the counts and the report agree,
and prints the wall time, rows/s, hand-overs and the worker's peak RSS. Start the stack first:
`scripts/dev up --detach --release`.
"""

import csv
import io
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from xml.sax.saxutils import escape
from pathlib import Path

import boto3

from devstack.config import DEV_STATE, ROOT, Settings

HEADER = ["First Name", "Last Name", "Login", "Mobile Phone number", "Business Phone number",
          "Email Address", "Company"]
DONE = ("completed", "completed_with_errors", "failed", "cancelled")


def sheet_rows(rows):
    """Seed 001's columns; every 100th row has an e-mail without a domain."""
    for i in range(rows):
        broken = i % 100 == 99
        yield [f"First{i}", f"Last{i}", f"user{i}", f"+1201555{i % 10000:04}",
               f"+1201556{i % 10000:04}", f"user{i}@" if broken else f"user{i}@example.com", "Acme"]


def write_csv(path, rows):
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        out.writerows(sheet_rows(rows))


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
XLSX_PARTS = {
    "[Content_Types].xml": f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_SHEET_TYPE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_SHEET_TYPE}.worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_SHEET_TYPE}.sharedStrings+xml"/>'
    "</Types>",
    "_rels/.rels": f'{_XML}<Relationships xmlns="{_RELS}">'
    f'<Relationship Id="rId1" Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_DOC}">'
    '<sheets><sheet name="Users" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": f'{_XML}<Relationships xmlns="{_RELS}">'
    f'<Relationship Id="rId1" Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_DOC}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>",
}


def write_xlsx(path, rows):
    """As Excel saves a sheet: every text cell an index into the shared strings."""
    strings = {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as book:
        for name, text in XLSX_PARTS.items():
            book.writestr(name, text)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'{_XML}<worksheet xmlns="{_MAIN}"><sheetData>'.encode())
            for r, values in enumerate([HEADER, *sheet_rows(rows)], start=1):
                cells = "".join(
                    f'<c r="{col}{r}" t="s"><v>{strings.setdefault(v, len(strings))}</v></c>'
                    for col, v in zip("ABCDEFG", values)
                )
                sheet.write(f'<row r="{r}">{cells}</row>'.encode())
            sheet.write(b"</sheetData></worksheet>")
        with book.open("xl/sharedStrings.xml", "w", force_zip64=True) as shared:
            shared.write(f'{_XML}<sst xmlns="{_MAIN}" count="{(rows + 1) * 7}" '
                         f'uniqueCount="{len(strings)}">'.encode())
            for text in strings:
                shared.write(f"<si><t>{escape(text)}</t></si>".encode())
            shared.write(b"</sst>")


def report_logins(kind, body):
    """The Login cell of every row of the error report (same format as the sheet)."""
    if kind == "csv":
        rows = list(csv.reader(io.TextIOWrapper(io.BytesIO(body), encoding="utf-8-sig")))
        column = rows[0].index("Login")
        return [row[column] for row in rows[1:]]
    with zipfile.ZipFile(io.BytesIO(body)) as book:
        xml = book.read("xl/worksheets/sheet1.xml").decode()
        names = book.namelist()
        shared = book.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in names else ""
    strings = re.findall(r"<si>.*?<t[^>]*>([^<]*)</t>.*?</si>", shared)

    def cells(row):
        """{column letters: text} of one <row>."""
        found = {}
        for ref, attrs, inner in re.findall(r'<c r="([A-Z]+)\d+"([^>]*?)(?:/>|>(.*?)</c>)', row):
            text = re.search(r"<(?:v|t)[^>]*>([^<]*)<", inner or "")
            text = text.group(1) if text else ""
            found[ref] = strings[int(text)] if 't="s"' in attrs else text
        return found

    rows = [cells(row) for row in re.findall(r"<row[^>]*>(.*?)</row>", xml)]
    column = next(ref for ref, text in rows[0].items() if text == "Login")
    return [row.get(column, "") for row in rows[1:]]


def api(s, token, path, tries=5):
    """GET `path`; a 5xx (the local runtime under load drops an invocation now and then) is
    tried again, so an hour-long run is not lost to one poll."""
    request = urllib.request.Request(f"{s.api_url}{path}", headers={"authorization": f"Bearer {token}"})
    for attempt in range(tries):
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.load(response)
        except urllib.error.HTTPError as e:
            if e.code < 500 or attempt == tries - 1:
                raise
            time.sleep(2)


def worker_pids():
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if re.search(r"^Name:\s+import-worker$", text, re.M):
            pids.append(status.parent.name)
    return pids


def peak_rss_mb():
    peaks = []
    for pid in worker_pids():
        text = Path(f"/proc/{pid}/status").read_text()
        match = re.search(r"^VmHWM:\s+(\d+) kB", text, re.M)
        if match:
            peaks.append(int(match.group(1)) / 1024)
    return max(peaks, default=None)


def stored_logins(s, tenant):
    """Logins of the tenant's users, read from the list index (every shard)."""
    db = boto3.client("dynamodb", endpoint_url=s.aws_url, region_name=s.region,
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    logins = []
    for shard in range(4):
        start = None
        while True:
            args = dict(TableName=s.table, IndexName="by_tenant",
                        KeyConditionExpression="list_pk = :p",
                        ExpressionAttributeValues={":p": {"S": f"T#{tenant}#USERS#{shard}"}},
                        ProjectionExpression="profile.login")
            if start:
                args["ExclusiveStartKey"] = start
            page = db.query(**args)
            for item in page["Items"]:
                logins.append(item["profile"]["M"]["login"]["S"])
            start = page.get("LastEvaluatedKey")
            if not start:
                break
    return logins


def batch_get(db, table, keys, projection):
    found = []
    for i in range(0, len(keys), 100):
        request = {table: {"Keys": keys[i:i + 100], "ProjectionExpression": projection}}
        while request:
            out = db.batch_get_item(RequestItems=request)
            found.extend(out["Responses"].get(table, []))
            request = out.get("UnprocessedKeys") or None
    return found


def check_by_key(s, tenant, expected):
    """Problems found reading every expected login's claim and its user by key: the way to
    read a million users back from the emulator, whose index pages each re-sort the whole
    partition (5 s a page at 1M). It cannot see a user without a claim, which the create
    transaction rules out; the listing check below does, for smaller runs."""
    db = boto3.client("dynamodb", endpoint_url=s.aws_url, region_name=s.region,
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    claims = batch_get(db, s.table, [{"pk": {"S": f"T#{tenant}#LOGIN#{login}"}, "sk": {"S": "CLAIM"}}
                                     for login in sorted(expected)], "pk, user_id")
    claimed = {c["pk"]["S"].rsplit("#", 1)[1]: c["user_id"]["S"] for c in claims}
    problems = []
    if set(claimed) != expected:
        problems.append(f"{len(claimed)} logins claimed, expected {len(expected)}")
    ids = set(claimed.values())
    users = batch_get(db, s.table, [{"pk": {"S": f"T#{tenant}#U#{u}"}, "sk": {"S": "USER"}} for u in ids],
                      "id, profile.login")
    by_login = {u["profile"]["M"]["login"]["S"]: u["id"]["S"] for u in users}
    if len(ids) != len(claimed) or any(by_login.get(login) != u for login, u in claimed.items()):
        problems.append(f"{len(users)} users behind {len(claimed)} claims, not one each")
    return problems


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    kind = sys.argv[2] if len(sys.argv) > 2 else "csv"
    if kind not in ("csv", "xlsx"):
        raise SystemExit("usage: scripts/bench-import [ROWS] [csv|xlsx]")
    s = Settings.from_environment()
    if not (DEV_STATE / "ready").exists():
        raise SystemExit("start the local stack first: scripts/dev up --detach --release")
    bench = ROOT / ".roster" / "bench"
    bench.mkdir(parents=True, exist_ok=True)
    sheet = bench / f"users-{rows}.{kind}"
    (write_csv if kind == "csv" else write_xlsx)(sheet, rows)
    bad = rows // 100
    tenant = f"bench{int(time.time())}"
    token = subprocess.run([str(ROOT / "scripts/dev"), "token", "--tenant", tenant, "--roles", "admin"],
                           check=True, capture_output=True, text=True).stdout.strip()
    log_before = (DEV_STATE / "dev.log").stat().st_size if (DEV_STATE / "dev.log").exists() else 0
    env = {**os.environ, **s.client_env()}
    size_mb = sheet.stat().st_size / 1e6
    print(f"dropping {rows} rows ({size_mb:.0f} MB, {bad} with a broken e-mail) for tenant {tenant}")
    started = time.monotonic()
    subprocess.run([str(ROOT / ".venv/bin/aws"), "s3", "cp", "--only-show-errors", str(sheet),
                    f"s3://{s.bucket}/imports/{tenant}/"], check=True, env=env)
    job, last = None, None
    while True:
        jobs = api(s, token, "/v1/imports")["items"]
        job = jobs[0] if jobs else None
        if job and (job["status"], job["progress"]) != last:
            last = (job["status"], job["progress"])
            print(f"  {time.monotonic() - started:7.1f} s  {job['status']:<22} {job['progress']:3}%  {job['counts']}")
        if job and job["status"] in DONE:
            break
        time.sleep(2)
    seconds = time.monotonic() - started
    log = (DEV_STATE / "dev.log").read_bytes()[log_before:].decode("utf-8", "replace")
    hand_overs = sum(1 for line in log.splitlines() if "import continues in a new invocation" in line and job["id"] in line)

    counts = job["counts"]
    problems = []
    if job["status"] != "completed_with_errors":
        problems.append(f"status {job['status']} ({job.get('error')})")
    if (counts["created"], counts["failed"]) != (rows - bad, bad):
        problems.append(f"counts {counts}, expected created {rows - bad}, failed {bad}")
    report_url = api(s, token, f"/v1/imports/{job['id']}/report")["url"]
    with urllib.request.urlopen(report_url, timeout=300) as response:
        reported = report_logins(kind, response.read())
    broken = {f"user{i}" for i in range(rows) if i % 100 == 99}
    if len(reported) != bad or set(reported) != broken:
        problems.append(f"the report has {len(reported)} rows, expected the {bad} broken ones")
    expected = {f"user{i}" for i in range(rows) if i % 100 != 99}
    if rows > 100_000:
        problems += check_by_key(s, tenant, expected)
    else:
        logins = stored_logins(s, tenant)
        if len(logins) != len(set(logins)) or set(logins) != expected:
            problems.append(f"{len(logins)} users stored ({len(set(logins))} distinct), expected {len(expected)}")
    rss = peak_rss_mb()
    print(json.dumps({
        "rows": rows, "format": kind, "file_mb": round(size_mb, 1), "seconds": round(seconds, 1),
        "rows_per_second": round(rows / seconds), "hand_overs": hand_overs,
        "worker_peak_rss_mb": round(rss) if rss else None, "status": job["status"], "counts": counts,
    }))
    if problems:
        raise SystemExit("; ".join(problems))


if __name__ == "__main__":
    main()
