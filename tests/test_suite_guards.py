"""The test suite's own guards (tests/conftest.py): CI's BARENET_REQUIRE_IMPORTS=1 turns a skip
for a package that could not be imported into a failure, so that a test extra that lacks a
package cannot leave its tests silently unrun, as happened once with Starlette's httpx2."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLANTED = {
    "test_module_skip.py": 'import pytest\npytest.importorskip("no_such_module_zz")\n\n'
    "def test_a():\n    pass\n",
    "test_call_skip.py": "import pytest\n\n\ndef test_b():\n"
    '    pytest.importorskip("no_such_module_zz")\n\n\ndef test_c():\n'
    '    pytest.skip("another reason")\n',
}


def run_planted(tmp_path: Path, required: bool) -> subprocess.CompletedProcess:
    for name in ("conftest.py", "_helpers.py"):
        shutil.copy(HERE / name, tmp_path / name)
    for name, code in PLANTED.items():
        (tmp_path / name).write_text(code)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BARENET_", "PYTEST_"))}
    if required:
        env["BARENET_REQUIRE_IMPORTS"] = "1"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--continue-on-collection-errors",
            "-c",
            os.devnull,
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_import_skips_fail_where_required(tmp_path):
    result = run_planted(tmp_path, required=True)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "1 failed" in out and "1 error" in out and "1 skipped" in out, out
    assert "could not import 'no_such_module_zz'" in out and "test extra lacks" in out, out


def test_import_skips_stay_skips_elsewhere(monkeypatch):
    """Without BARENET_REQUIRE_IMPORTS, or for a skip of another kind, the report is untouched
    (checked in this process: the planted run above costs a second)."""
    from types import SimpleNamespace

    from conftest import _fail_import_skip

    skip = ("x.py", 1, "Skipped: could not import 'no_such_module_zz': No module named ...")
    other = ("x.py", 1, "Skipped: another reason")
    for required, longrepr, outcome in [("1", other, "skipped"), ("0", skip, "skipped"),
                                        ("1", skip, "failed")]:  # fmt: skip
        monkeypatch.setenv("BARENET_REQUIRE_IMPORTS", required)
        report = SimpleNamespace(skipped=True, outcome="skipped", longrepr=longrepr)
        _fail_import_skip(report)
        assert report.outcome == outcome, (required, longrepr)
