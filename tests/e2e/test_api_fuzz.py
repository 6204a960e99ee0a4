"""Schemathesis against the gateway's OpenAPI with a valid token: whatever it sends, no 5xx.

Each operation's cases come from schemathesis's strategies (valid and invalid data per the schema),
driven by plain hypothesis, so the run is bounded and repeatable (derandomized)."""

from __future__ import annotations

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings

from tracs.stack import Stack

EXAMPLES_PER_OPERATION = 12


def test_no_operation_answers_5xx_whatever_it_is_sent(stack: Stack) -> None:
    base = stack.url("edge")
    token = httpx.post(f"{base}/api/v1/auth/token", data={"username": "analyst", "password": "tracs-dev"}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def probe(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call(base_url=base, headers=headers, timeout=30)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}")

        probe()
    assert operations >= 50
    assert failures == [], "\n".join(sorted(set(failures)))
