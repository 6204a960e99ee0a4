"""The walkthrough checker itself: it must catch a page that says something else than the system answers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import docblocks

PAGE = """# A page

```sh
X=41
echo "id: 3f2a"
```

```output
id: <uuid>
```

```text
make run
```

```sh
echo $((X + 1)); echo one; echo two; echo three
```

```output
42
...
three
```
"""


def test_steps_pair_each_sh_block_with_the_output_block_after_it_and_skip_other_blocks() -> None:
    found = docblocks.steps(PAGE)
    assert [s.code for s in found] == ['X=41\necho "id: 3f2a"\n', "echo $((X + 1)); echo one; echo two; echo three\n"]
    assert found[0].expected == "id: <uuid>\n" and found[1].expected == "42\n...\nthree\n"
    assert found[0].line == 3


@pytest.mark.parametrize(
    ("expected", "actual", "ok"),
    [
        ('{"a": <n>}', '{"a": 5}', True),
        ('{"a": <n>}', '{"b": 5}', False),
        ("one\n...\nfour", "one\ntwo\nthree\nfour", True),
        ("one\n...\nfour", "one\nfour", True),
        ("one\nfour", "one\ntwo\nfour", False),
        ("one", "one\ntwo", False),
        ("a.b", "axb", False),
        ("", "", True),
    ],
)
def test_answers_match_only_what_they_say(expected: str, actual: str, ok: bool) -> None:
    assert docblocks.matches(expected, actual) is ok


def test_an_output_block_without_a_command_before_it_is_refused() -> None:
    with pytest.raises(ValueError, match="must follow an sh block"):
        docblocks.steps("```output\nx\n```\n")


def test_a_page_that_lies_fails_at_the_step_that_lied(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(PAGE.replace("42\n", "43\n"))
    env = {"PATH": os.environ["PATH"]}
    with pytest.raises(docblocks.DocumentedAnswerMismatch, match="line 16: the system answered otherwise"):
        docblocks.run(page, cwd=tmp_path, env=env)
    page.write_text(PAGE.replace("echo $((X + 1))", "false"))
    with pytest.raises(docblocks.DocumentedAnswerMismatch, match="line 16: the step failed"):
        docblocks.run(page, cwd=tmp_path, env=env)
    page.write_text(PAGE)
    assert [o.stdout.split() for o in docblocks.run(page, cwd=tmp_path, env=env)] == [
        ["id:", "3f2a"],
        ["42", "one", "two", "three"],
    ]
