"""`make audit`'s verdict (tools/audit.py): a skipped package is never a pass."""

from tools.audit import INCOMPLETE, PASSED, VULNERABLE, judge


def dep(name, version="1.0", vulns=()):
    return {"name": name, "version": version, "vulns": list(vulns)}


def skipped(name):
    reason = f"Dependency not found on PyPI and could not be audited: {name}"
    return {"name": name, "skip_reason": reason}


def test_every_package_checked_and_clean_passes():
    verdict = judge({"dependencies": [dep("django"), dep("stripe")]})
    assert verdict.status == PASSED
    assert "2 of 2 pinned packages checked" in verdict.line


def test_nothing_looked_up_is_incomplete_not_a_pass():
    # What pip-audit reports on a machine that reaches no vulnerability service,
    # while printing "No known vulnerabilities found" and exiting 0.
    verdict = judge({"dependencies": [skipped("django"), skipped("stripe")], "fixes": []})
    assert verdict.status == INCOMPLETE
    assert "not a pass" in verdict.line
    assert "0 of 2" in verdict.line


def test_some_skipped_is_incomplete():
    verdict = judge({"dependencies": [dep("django"), skipped("stripe")]})
    assert verdict.status == INCOMPLETE
    assert "1 of 2" in verdict.line


def test_an_empty_report_is_incomplete():
    assert judge({"dependencies": []}).status == INCOMPLETE


def test_a_known_vulnerability_fails_and_is_named():
    vuln = {"id": "PYSEC-2026-1", "fix_versions": ["5.2.20"]}
    verdict = judge({"dependencies": [dep("django", "5.2.19", [vuln]), skipped("stripe")]})
    assert verdict.status == VULNERABLE
    assert verdict.details == ["django 5.2.19: PYSEC-2026-1 (fixed in 5.2.20)"]
