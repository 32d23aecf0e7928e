"""Runs the independent SCIM compliance tester (PyPI scim2-tester, pinned in
scripts/requirements.txt) against a running local stack, and fails on any check that did not
pass. Skipped checks are printed with the tester's reason (docs/scim.md lists them).

The tester discovers our /Schemas and fills every attribute with random values. Two of its
generators produce values the product's documented validation refuses for every user (a
UUID as userName, where a login is 3-24 letters, digits and dots; ten random digits as a
phone number, which is no number in most countries). For those two paths only, the harness
hands the tester values of the documented form (a unique login, a valid E.164 number);
everything else, and every check, is the tester's own.

Usage: scim_compliance.py API_URL TOKEN     (exit 0: no check failed)
"""

import random
import sys
import uuid

import httpx2
import scim2_tester.filling as filling
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

_original_example = filling.get_random_example_value


def _documented_example(path):
    """Values of the documented form for the two generators that cannot produce one."""
    text = str(path)
    binding = path.resolve()
    model = binding.target_model if binding else None
    field = binding.target_field_name if binding else None
    in_phone = field == "value" and model is not None and "phone" in model.__name__.lower()
    if text.endswith("userName"):
        return "scim." + uuid.uuid4().hex[:16]
    if text.endswith("phoneNumbers.value") or in_phone:
        return f"+1201555{random.randint(100, 199):03d}{random.randint(0, 9)}"
    return _original_example(path)


def main(api_url, token):
    filling.get_random_example_value = _documented_example
    client = SyncSCIMClient(
        httpx2.Client(
            base_url=f"{api_url}/scim/v2",
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
    )
    results = check_server(client)
    counts = {}
    for r in results:
        counts[r.status.name] = counts.get(r.status.name, 0) + 1
    failed = [r for r in results if r.status in (Status.ERROR, Status.CRITICAL)]
    for r in results:
        if r.status == Status.SKIPPED:
            print(f"  skipped  {r.resource_type or '-'} {r.title}: {r.reason}")
    for r in failed:
        print(f"  FAILED   {r.resource_type or '-'} {r.title}: {r.reason}")
    failed = [f"{r.resource_type} {r.title}" for r in failed]
    summary = ", ".join(f"{n} {k.lower()}" for k, n in sorted(counts.items()))
    print(f"scim2-tester: {len(results)} checks: {summary}")
    passed = {(r.resource_type, r.title) for r in results if r.status == Status.SUCCESS}
    for resource_type in ("User", "Group"):
        if (resource_type, "object_creation") not in passed:
            failed.append(f"no {resource_type} was created: the CRUD checks did not run")
    if failed:
        print(f"scim2-tester: {len(failed)} checks failed")
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
