"""Runs the shell blocks of a markdown page in one bash session and checks each against its documented answer.

A fenced block tagged `sh` is run; an `output` block right after it is what the page says it prints.
In an answer, a line holding only `...` stands for any number of lines, and `<word>` (for example `<uuid>`)
for any text within one line. A page that no longer tells the truth fails with the step that lied.
"""

from __future__ import annotations

import re
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^```(\S*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
PLACEHOLDER = re.compile(r"<[a-z][a-z0-9 _.-]*>")


@dataclass(frozen=True)
class Step:
    line: int
    code: str
    expected: str | None


@dataclass(frozen=True)
class Outcome:
    step: Step
    stdout: str


def steps(markdown: str) -> list[Step]:
    """Every `sh` block in order, each with the `output` block that follows it, if one does."""
    found: list[Step] = []
    for m in FENCE.finditer(markdown):
        tag, body = m.group(1), m.group(2)
        line = markdown.count("\n", 0, m.start()) + 1
        if tag == "sh":
            found.append(Step(line=line, code=body, expected=None))
        elif tag == "output":
            if not found or found[-1].expected is not None:
                raise ValueError(f"line {line}: an output block must follow an sh block")
            found[-1] = Step(line=found[-1].line, code=found[-1].code, expected=body)
    return found


def pattern(expected: str) -> re.Pattern[str]:
    """The regular expression an answer stands for (see the module docstring)."""
    parts: list[str] = []
    for line in _lines(expected):
        if line.strip() == "...":
            parts.append(r"(?:[^\n]*\n)*?")
            continue
        pieces = PLACEHOLDER.split(line)
        parts.append(r"[^\n]*?".join(re.escape(p) for p in pieces) + r"\n")
    return re.compile("".join(parts))


def matches(expected: str, actual: str) -> bool:
    body = "".join(f"{line}\n" for line in _lines(actual))
    return pattern(expected).fullmatch(body) is not None


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


class DocumentedAnswerMismatch(AssertionError):
    pass


def run(page: Path, *, cwd: Path, env: dict[str, str], timeout: float = 900, check: bool = True) -> list[Outcome]:
    """Run every step of `page` in one bash session; raise at the first step that fails or answers otherwise
    (with `check` off, return what every step answered, for whoever writes the page)."""
    all_steps = steps(page.read_text(encoding="utf-8"))
    marker = f"@@step-{uuid.uuid4().hex}@@"
    script = ["set -euo pipefail"]
    for i, step in enumerate(all_steps):
        script += [f"printf '\\n{marker}{i}\\n'", f"printf '\\n{marker}{i}\\n' >&2", step.code]
    proc = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    out, err = _split(proc.stdout, marker), _split(proc.stderr, marker)
    outcomes: list[Outcome] = []
    for i, step in enumerate(all_steps):
        if i not in out:
            break
        last = i == max(out) and proc.returncode != 0
        if check and last:
            raise DocumentedAnswerMismatch(
                f"{page.name} line {step.line}: the step failed (exit {proc.returncode})\n--- step\n{step.code}"
                f"--- stdout\n{out[i]}\n--- stderr\n{err.get(i, '')[-4000:]}"
            )
        if check and step.expected is not None and not matches(step.expected, out[i]):
            raise DocumentedAnswerMismatch(
                f"{page.name} line {step.line}: the system answered otherwise than the page says\n--- step\n"
                f"{step.code}--- documented\n{step.expected}--- actual\n{out[i]}\n--- stderr\n{err.get(i, '')[-2000:]}"
            )
        outcomes.append(Outcome(step, out[i]))
    if check and len(outcomes) != len(all_steps):
        raise DocumentedAnswerMismatch(f"{page.name}: only {len(outcomes)} of {len(all_steps)} steps ran")
    return outcomes


def _split(stream: str, marker: str) -> dict[int, str]:
    chunks = re.split(rf"\n{re.escape(marker)}(\d+)\n", stream)
    return {int(chunks[k]): chunks[k + 1] for k in range(1, len(chunks) - 1, 2)}


if __name__ == "__main__":
    # Writers of a page: `python -m tests.docblocks docs/walkthrough.md` prints what each step answers
    # against the system the environment points at.
    import os
    import sys

    for outcome in run(Path(sys.argv[1]), cwd=Path.cwd(), env=dict(os.environ), check=False):
        print(f"--- line {outcome.step.line}\n{outcome.stdout.strip()}")
