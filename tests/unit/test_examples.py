"""The example files are what examples/generate.py writes, byte for byte (so no one edits them by hand)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_committed_examples_are_exactly_what_the_generator_writes() -> None:
    spec = importlib.util.spec_from_file_location("examples_generate", EXAMPLES / "generate.py")
    assert spec and spec.loader
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    written = generate.files()
    assert set(written) == {p.name for p in EXAMPLES.iterdir() if p.suffix in {".xlsx", ".csv"}}
    for name, content in written.items():
        assert (EXAMPLES / name).read_bytes() == content, f"examples/{name} differs from its generator"
