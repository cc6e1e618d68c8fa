"""`make audit`: pip-audit over the pinned requirements, with an honest verdict.

pip-audit prints "No known vulnerabilities found" and exits 0 even when it could
not look a single package up (a machine that reaches the package index but not a
vulnerability service: every package is skipped as "not found"). This wrapper
counts what was really checked and prints one line:

- every package checked, nothing known: exit 0 (a pass);
- a known vulnerability: exit 1, each one listed;
- some or all packages could not be checked (no service answered): exit 3, and
  the line says the audit is incomplete. That is not a pass; CI prints it and
  goes on, since these machines reach no vulnerability database.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REQUIREMENTS = ("requirements.txt", "requirements-dev.txt")
PASSED, VULNERABLE, INCOMPLETE = 0, 1, 3


@dataclass
class Verdict:
    status: int
    line: str
    details: list[str] = field(default_factory=list)


def fixed_in(vuln: dict) -> str:
    return ", ".join(vuln.get("fix_versions") or ["-"])


def judge(report: dict) -> Verdict:
    """The verdict on pip-audit's JSON report (`-f json`)."""
    dependencies = report.get("dependencies", [])
    skipped = [d for d in dependencies if "skip_reason" in d]
    checked = len(dependencies) - len(skipped)
    findings = [
        f"{d['name']} {d['version']}: {v['id']} (fixed in {fixed_in(v)})"
        for d in dependencies
        if "skip_reason" not in d
        for v in d.get("vulns", [])
    ]
    counted = f"{checked} of {len(dependencies)} pinned packages checked"
    if findings:
        line = f"dependency audit: {counted}, {len(findings)} known vulnerabilities"
        return Verdict(VULNERABLE, line, findings)
    if not dependencies or skipped:
        reason = skipped[0]["skip_reason"] if skipped else "no package was read"
        return Verdict(
            INCOMPLETE,
            f"dependency audit INCOMPLETE, not a pass: {counted}; "
            f"{len(skipped)} could not be looked up (first: {reason})",
        )
    return Verdict(PASSED, f"dependency audit passed: {counted}, no known vulnerabilities")


def run_pip_audit(root: Path) -> dict | str:
    """pip-audit's JSON report, or the reason it produced none."""
    command = [sys.executable, "-m", "pip_audit", "--no-deps", "--disable-pip"]
    command += ["--progress-spinner", "off", "--format", "json", "--timeout", "15"]
    for name in REQUIREMENTS:
        command += ["--requirement", str(root / name)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=root, check=False)  # noqa: S603
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError:
        lines = (result.stderr or result.stdout).strip().splitlines()
        return lines[-1] if lines else f"pip-audit exited with {result.returncode} and said nothing"


def main() -> int:
    report = run_pip_audit(Path(__file__).resolve().parents[1])
    if isinstance(report, str):
        line = f"dependency audit INCOMPLETE, not a pass: pip-audit failed: {report}"
        verdict = Verdict(INCOMPLETE, line)
    else:
        verdict = judge(report)
    for detail in verdict.details:
        print(f"  {detail}")
    print(verdict.line)
    return verdict.status


if __name__ == "__main__":
    sys.exit(main())
