"""The merged audit trail as business actions, narrowed by record, user, action and dates, one page at a time.

Every service is asked (as the caller, so each applies its policy and audits the read) for its newest entries
matching the record, user and dates; the gateway adds its own, folds the calls of one user action together
(services/gateway/audit_actions.py), keeps the actions named as asked and cuts the page. A case's trail is its
own entries and those of its encounters (flags), disclosures and referrals.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.gateway import audit_actions
from services.gateway.db import oversight as queries
from services.gateway.oversight import ServiceReader
from shared.audit import TrailQuery
from shared.errors import Invalid, Unavailable
from shared.uow import UnitOfWork

# The newest entries asked of each service per query: dates narrow the trail to reach further back.
SEARCHED = 1000
_PATH = re.compile(r"^/?(?P<type>[a-z-]+)/(?P<id>[^/?#]+)/?$")  # "/cases/2edfbe11", as the console's links
_ID = re.compile(r"^[A-Za-z0-9._@:-]{1,100}$")
# Records whose ids are UUIDs (a route's `<type>_id`, a console path's /<type>s/ID): a short id is a hex prefix.
_UUID_TYPES = frozenset(
    "agreement batch bulletin case correction disclosure draft encounter hold import legal-hold notice recipient"
    " redress referral relink report request subject".split()
)
_HEX = re.compile(r"^[0-9a-fA-F-]{1,36}$")
_CASE_PARTS = 20  # the most case ids a short id may stand for before the auditor is asked for more of it


@dataclass(frozen=True)
class TrailAsk:
    record: str | None = None
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    page: int = 1
    size: int = 50
    reading: str | None = None  # the correlation id of this very read: its calls are left out (still under way)


def parse_record(record: str | None) -> tuple[str | None, str | None]:
    """TYPE:ID, a bare ID (of any type) or a console path (/cases/ID); ids may be the short ids pages show."""
    text = (record or "").strip()
    if not text:
        return None, None
    if m := _PATH.match(text):
        plural = m["type"]  # "/cases/…" is a case, "/redress/…" a redress request (once taken for a "redres")
        record_type, record_id = plural if plural.endswith("ss") else plural.removesuffix("s"), m["id"]
    else:
        record_type, _, record_id = text.rpartition(":")
    record_type = (record_type or "").strip().lower() or None
    record_id = record_id.strip()
    if not _ID.match(record_id):
        raise Invalid(f"record {text[:60]!r} is not an id, TYPE:ID or a page's address (e.g. case:2edfbe11)")
    if record_type in _UUID_TYPES and not _HEX.match(record_id):
        named = f"{record_type}:{record_id[:60]}"
        raise Invalid(f"{named} is not a {record_type} id or id prefix: use hex digits (e.g. case:2edfbe11)")
    return record_type, record_id


async def action_trail(
    *, uow: UnitOfWork, read: ServiceReader, services: dict[str, str], ask: TrailAsk, searched: int = SEARCHED
) -> dict[str, Any]:
    """One page of actions, newest first, with how many there are and whether older entries were left unsearched."""
    record_type, record_id = parse_record(ask.record)
    ids = [record_id] if record_id else []
    if record_type == "case" and record_id:
        ids = await _case_records(read, services, record_id)
        record_type = None  # a case's encounters, drafts and referrals are records of their own types
    query = TrailQuery(
        record_type=record_type, record_ids=ids, actor=ask.actor, since=ask.since, until=ask.until, limit=searched
    )
    entries, capped = await _entries(uow=uow, read=read, services=services, query=query)
    entries = [e for e in entries if not ask.reading or e.get("correlation_id") != ask.reading]
    wanted = audit_actions.ActionFilter(action=ask.action)
    actions = [g for g in audit_actions.group(entries) if wanted.keeps(g.as_json())]
    start = (ask.page - 1) * ask.size
    page = actions[start : start + ask.size]
    if ids or ask.actor or ask.since or ask.until:
        page = await _with_every_call(uow=uow, read=read, services=services, page=page)
    return {
        "items": [a.as_json() for a in page],
        "total": len(actions),
        "page": ask.page,
        "size": ask.size,
        "pages": max(1, -(-len(actions) // ask.size)),
        "capped": capped,  # a service had more entries than were searched: narrow the dates to see older ones
        "record_ids": ids,
    }


async def _with_every_call(
    *, uow: UnitOfWork, read: ServiceReader, services: dict[str, str], page: list[audit_actions.Action]
) -> list[audit_actions.Action]:
    """A narrowed trail found only the calls that matched; each action on the page gets every call behind it (the
    case page's reads of its disclosures and referrals beside the case's own), by its correlation id."""
    cids = sorted({e["correlation_id"] for a in page for e in a.entries if e.get("correlation_id")})
    if not cids:
        return page
    every, _ = await _entries(
        uow=uow, read=read, services=services, query=TrailQuery(correlation_ids=cids, limit=SEARCHED)
    )
    whole = {a.key: a for a in audit_actions.group(every)}
    return [whole.get(a.key, a) for a in page]


async def _entries(
    *, uow: UnitOfWork, read: ServiceReader, services: dict[str, str], query: TrailQuery
) -> tuple[list[dict[str, Any]], bool]:
    params: dict[str, Any] = {
        "record_type": query.record_type,
        "record_id": list(query.record_ids) or None,
        "actor": query.actor,
        "since": query.since.isoformat() if query.since else None,
        "until": query.until.isoformat() if query.until else None,
        "correlation_id": list(query.correlation_ids) or None,
        "limit": query.limit,
    }
    params = {k: v for k, v in params.items() if v}
    results = await asyncio.gather(*(read(f"{base}/audit", params) for base in services.values()))
    merged: list[dict[str, Any]] = []
    capped = False
    for name, (status, body) in zip(services, results, strict=True):
        if status != 200:
            raise Unavailable(f"the {name} service did not return its audit trail ({status})")
        capped = capped or len(body) >= query.limit
        merged += [{**entry, "service": name} for entry in body]
    async with uow:
        own = await queries.trail_query(uow.session, query)
    capped = capped or len(own) >= query.limit
    # The services answer JSON (ISO 8601 text); the gateway's own rows hold datetimes: one form, so times sort.
    merged += [{**e, "at": e["at"].isoformat() if isinstance(e["at"], datetime) else e["at"], "service": "gateway"}
               for e in own]  # fmt: skip
    merged.sort(key=lambda e: str(e["at"]), reverse=True)
    return merged, capped


async def _case_records(read: ServiceReader, services: dict[str, str], case_id: str) -> list[str]:
    """The case's id (a short one resolved through the cases trail) and those of its encounters, disclosure
    drafts and referrals, as far as the caller may see them."""
    cases, disclosure = services.get("cases"), services.get("disclosure")
    full = [case_id]
    if len(case_id) < 36 and cases:
        status, body = await read(f"{cases}/audit", {"record_type": "case", "record_id": case_id, "limit": SEARCHED})
        if status == 200:
            full = list(dict.fromkeys(e["record_id"] for e in body if e.get("record_id")))[:_CASE_PARTS] or full
    ids = list(full)
    for one in full:
        if len(one) != 36:
            continue
        asked = []
        if cases:
            asked.append(read(f"{cases}/api/v1/cases/{one}"))
        if disclosure:
            asked.append(read(f"{disclosure}/api/v1/disclosures", {"case": one}))
            asked.append(read(f"{disclosure}/api/v1/disclosures/referrals", {"case": one}))
        for status, body in await asyncio.gather(*asked):
            if status != 200:
                continue  # what the caller may not see stays out of their view of the trail
            if isinstance(body, dict):
                ids += [str(e["id"]) for e in body.get("encounters", []) if e.get("id")]
            elif isinstance(body, list):
                ids += [str(d["id"]) for d in body if isinstance(d, dict) and d.get("id")]
    return list(dict.fromkeys(ids))
