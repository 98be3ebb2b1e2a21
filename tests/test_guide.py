"""docs/guide.md: every ```python block runs, in order, in one shared namespace (like a notebook),
and every image it shows exists in docs/img. Marked ``mnist``: the examples train on MNIST."""

import code
import re
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
GUIDE = DOCS / "guide.md"


def code_blocks(text: str, language: str) -> list[str]:
    """The fenced blocks of a language ("" for plain ``` blocks), in order."""
    blocks: list[str] = []
    fence: str | None = None  # the opening fence of the block we are in, if any
    lines: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.startswith("```"):
            if fence is None:
                fence, lines = line.strip(), []
            else:
                if fence == "```" + language:
                    blocks.append("".join(lines))
                fence = None
        elif fence is not None:
            lines.append(line)
    return blocks


def python_blocks(text: str) -> list[str]:
    return code_blocks(text, "python")


def test_python_blocks_are_found():
    blocks = python_blocks("text\n```python\na = 1\n```\n```sh\nls\n```\n```python\nb = 2\n```\n")
    assert blocks == ["a = 1\n", "b = 2\n"]


def repl_refusals(block: str) -> list[str]:
    """What the classic Python REPL refuses when `block` is pasted into it, line by line, then
    Enter: code.InteractiveConsole's rules, where a blank line ends an indented block and a
    statement after an indented block needs that blank line first. Nothing is run."""
    refused: list[str] = []

    class Console(code.InteractiveConsole):
        def runcode(self, code):  # compile only
            pass

        def showsyntaxerror(self, *args, **kwargs):
            error = sys.exc_info()[1]
            refused.append(f"{type(error).__name__}: {error.msg} at {(error.text or '').strip()!r}")

    console = Console()
    for line in [*block.splitlines(), ""]:
        console.push(line)
    return refused


def test_repl_refusals_finds_a_missing_blank_line():
    assert repl_refusals("for i in range(2):\n    j = i\n\nassert j == 1\n") == []
    assert repl_refusals("if True:\n    j = 1\nelse:\n    j = 2\n") == []
    refused = repl_refusals("with open('f') as f:\n    text = f.read()\nassert text\n")
    assert refused and "assert text" in refused[0]
    assert repl_refusals("def f():\n    x = 1\n\n    return x\n")  # a blank line inside


def test_every_block_pastes_into_the_classic_repl():
    for number, block in enumerate(python_blocks(GUIDE.read_text(encoding="utf-8")), start=1):
        refused = repl_refusals(block)
        assert not refused, f"guide.md block {number} does not paste into the REPL: {refused}"


def test_the_learners_code_uses_public_names_only():
    """The Python blocks call no _private name of barenet (network.py's internals are quoted,
    and introduced as internal, in plain blocks)."""
    for number, block in enumerate(python_blocks(GUIDE.read_text(encoding="utf-8")), start=1):
        private = re.findall(r"\._[A-Za-z]\w*|barenet\._\w+", block)
        assert not private, f"guide.md block {number} uses private names {private}"


def test_every_image_exists():
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", GUIDE.read_text(encoding="utf-8"))
    assert images, "the guide shows no images"
    for image in images:
        assert image.startswith("img/"), f"{image}: keep the guide's images in docs/img"
        assert (DOCS / image).is_file(), f"the guide shows {image}, which does not exist"


def test_quoted_code_is_in_network_py():
    """The lines the guide quotes from network.py (plain blocks mentioning self.) still exist."""
    source = (DOCS.parent / "src" / "barenet" / "network.py").read_text(encoding="utf-8")
    blocks = code_blocks(GUIDE.read_text(encoding="utf-8"), "")
    quoted = [
        line.split("  #")[0].strip()
        for block in blocks
        for line in block.splitlines()
        if "self." in line
    ]
    assert len(quoted) >= 6
    for line in quoted:
        assert line in source, f"the guide quotes {line!r}, which network.py no longer has"


@pytest.mark.mnist
def test_guide_code_runs(mnist, tmp_path, monkeypatch, capsys):
    pytest.importorskip("safetensors")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "guide"}
    blocks = python_blocks(GUIDE.read_text(encoding="utf-8"))
    assert len(blocks) >= 10
    for number, block in enumerate(blocks, start=1):
        first_line = block.strip().splitlines()[0]
        try:
            exec(compile(block, f"guide.md block {number}", "exec"), namespace)
        except Exception as err:
            pytest.fail(f"block {number} ({first_line!r}) raised {type(err).__name__}: {err}")
