"""docs/guide.md: every ```python block runs, in order, in one shared namespace (like a notebook),
and every image it shows exists in docs/img. Marked ``mnist``: the examples train on MNIST."""

import re
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
