"""Agreement use cases: ISAAs as versioned data reviewed by a privacy officer, their recipients and
certificates, development seeds."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from services.disclosure import agreement_rules, domain, mail
from services.disclosure.db import agreements as queries
from shared.errors import Conflict, NotFound
from shared.events.disclosure import AgreementChanged
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)


def _changed(agreement_id: uuid.UUID, version: int, name: str, terms: dict[str, Any]) -> AgreementChanged:
    """Coverage of a version, for services that must know which partners a program can answer."""
    return AgreementChanged(
        agreement_id=agreement_id,
        version=version,
        name=name,
        program=terms["program"],
        partner_country=terms["partner_country"],
        valid_from=terms["valid_from"],
        valid_to=terms["valid_to"],
    )


async def create_agreement(*, uow: UnitOfWork, name: str, terms: dict[str, Any], note: str) -> uuid.UUID:
    """A new agreement whose version 1 is a draft: it governs nothing until a privacy officer approves it."""
    domain.check_terms(terms)
    agreement_id = uuid.uuid4()
    async with uow:
        if await queries.agreement_by_name(uow.session, name) is not None:
            raise Conflict(f"an agreement named {name!r} exists already")
        await queries.insert_agreement(
            uow.session, {"id": agreement_id, "name": name, "current_version": 1, "created_by": uow.actor}
        )
        await queries.insert_version(
            uow.session, agreement_id=agreement_id, version=1, terms=terms, note=note, actor=uow.actor
        )
    log.info("agreement drafted", agreement_id=str(agreement_id))
    return agreement_id


async def revise_agreement(*, uow: UnitOfWork, agreement_id: uuid.UUID, terms: dict[str, Any], note: str) -> int:
    """Every change is a new draft version; the approved one keeps governing until the draft is approved,
    and earlier versions stay as they were for the annual audit."""
    domain.check_terms(terms)
    async with uow:
        row = await queries.lock_agreement(uow.session, agreement_id)
        if row is None:
            raise NotFound(f"no agreement {agreement_id}")
        agreement_rules.require_no_open_draft(await queries.open_draft(uow.session, agreement_id))
        version = row["current_version"] + 1
        await queries.insert_version(
            uow.session, agreement_id=agreement_id, version=version, terms=terms, note=note, actor=uow.actor
        )
        await queries.set_current_version(uow.session, agreement_id, version, uow.actor)
    log.info("agreement revision drafted", agreement_id=str(agreement_id), version=version)
    return version


async def review_version(*, uow: UnitOfWork, agreement_id: uuid.UUID, version: int, approve: bool, note: str) -> str:
    """A privacy officer (never the version's author) approves a draft, which then governs every draft and
    send (the version it replaces is retired, and `AgreementChanged` tells intake of the coverage), or
    rejects it, which changes nothing in force. Both are kept with who reviewed, when and why."""
    async with uow:
        row = await queries.lock_agreement(uow.session, agreement_id)
        if row is None:
            raise NotFound(f"no agreement {agreement_id}")
        draft = await queries.version(uow.session, agreement_id, version)
        if draft is None:
            raise NotFound(f"agreement {agreement_id} has no version {version}")
        agreement_rules.require_reviewable(draft, reviewer=uow.actor)
        status = agreement_rules.APPROVED if approve else agreement_rules.REJECTED
        await queries.review_version(uow.session, agreement_id, version, status=status, reviewer=uow.actor, note=note)
        if approve:
            await _put_in_force(uow, row, dict(draft))
    log.info("agreement version reviewed", agreement_id=str(agreement_id), version=version, status=status)
    return status


async def _put_in_force(uow: UnitOfWork, agreement: Any, version: dict[str, Any]) -> None:
    if agreement["approved_version"] is not None:
        await queries.set_status(uow.session, agreement["id"], agreement["approved_version"], agreement_rules.RETIRED)
    await queries.set_approved_version(uow.session, agreement["id"], version["version"], uow.actor)
    if version.get("recipient_kind", domain.FOREIGN) == domain.FOREIGN:  # intake's coverage is of partners
        uow.emit(_changed(agreement["id"], version["version"], agreement["name"], version))


async def compare_versions(*, uow: UnitOfWork, agreement_id: uuid.UUID, left: int, right: int) -> dict[str, Any]:
    """Two versions side by side (a reviewer's view of what a draft changes), with their review states."""
    async with uow:
        a = await queries.version(uow.session, agreement_id, left)
        b = await queries.version(uow.session, agreement_id, right)
    if a is None or b is None:
        missing = left if a is None else right
        raise NotFound(f"agreement {agreement_id} has no version {missing}")
    return {
        "agreement_id": agreement_id,
        "left": dict(a),
        "right": dict(b),
        "terms": agreement_rules.compare(a, b),
    }


async def get_agreement(*, uow: UnitOfWork, agreement_id: uuid.UUID) -> dict[str, Any]:
    """One agreement as it stands, with every earlier version and its recipients."""
    async with uow:
        current = await queries.current_agreement(uow.session, agreement_id)
        if current is None:
            raise NotFound(f"no agreement {agreement_id}")
        history = await queries.versions(uow.session, agreement_id)
        people = await queries.agreement_recipients(uow.session, agreement_id)
    return {**dict(current), "history": [dict(h) for h in history], "recipients": [_recipient(r) for r in people]}


async def list_agreements(*, uow: UnitOfWork) -> list[dict[str, Any]]:
    """Every agreement at its current version."""
    async with uow:
        return [dict(r) for r in await queries.current_agreements(uow.session)]


def _recipient(row: Any) -> dict[str, Any]:
    keys = ("id", "agreement_id", "person", "email", "created_at", "created_by", "retired_at", "retired_by")
    out = {k: row[k] for k in (*keys, "retired_reason")}
    out["has_certificate"] = bool(row["certificate_pem"])
    return out


async def add_recipient(
    *, uow: UnitOfWork, agreement_id: uuid.UUID, person: str, email: str, certificate_pem: str | None
) -> dict[str, Any]:
    """A person at the partner agency; a certificate given must be readable and valid now."""
    if certificate_pem:
        mail.check_recipient_certificate(certificate_pem, now=dt.datetime.now(dt.UTC))
    recipient_id = uuid.uuid4()
    async with uow:
        if await queries.current_agreement(uow.session, agreement_id) is None:
            raise NotFound(f"no agreement {agreement_id}")
        await queries.insert_recipient(
            uow.session,
            {
                "id": recipient_id,
                "agreement_id": agreement_id,
                "person": person,
                "email": email,
                "certificate_pem": certificate_pem,
                "created_by": uow.actor,
            },
        )
        rows = await queries.agreement_recipients(uow.session, agreement_id)
    return next(_recipient(r) for r in rows if r["id"] == recipient_id)


async def retire_recipient(
    *, uow: UnitOfWork, agreement_id: uuid.UUID, recipient_id: uuid.UUID, reason: str
) -> dict[str, Any]:
    """No more disclosures to this person; the row stays, because the accounting names who received what."""
    async with uow:
        row = await queries.recipient_for_update(uow.session, agreement_id, recipient_id)
        if row is None:
            raise NotFound(f"no recipient {recipient_id} of agreement {agreement_id}")
        if row["retired_at"] is not None:
            raise Conflict(f"recipient {recipient_id} was already retired by {row['retired_by']}")
        await queries.retire_recipient(uow.session, recipient_id, by=uow.actor, reason=reason)
        rows = await queries.agreement_recipients(uow.session, agreement_id)
    return next(_recipient(r) for r in rows if r["id"] == recipient_id)


# Development seeds: realistic agreements, each with a recipient whose certificate is in the dev PKI.
ALL_FIELDS = [
    "fin",
    "last_name",
    "first_name",
    "dob",
    "nationality",
    "country_of_birth",
    "gender",
    "document_type",
    "document_country",
    "encounter_date",
    "reason_fingerprinted",
    "findings",
]
OWNER_FIELDS = [*ALL_FIELDS, "eid"]  # its own EID goes back to an owner: its report names encounters by it
CAVEAT = (
    "This information concerns a person protected by 8 U.S.C. 1367 or similar confidentiality provisions; "
    "do not disclose it further."
)
FOREIGN_LIMITS = (
    "For the stated purpose only. No further dissemination to a third party without the prior written consent "
    "of DHS/OBIM; do not use in legal proceedings without consent."
)
DOMESTIC_LIMITS = (
    "For official use only by the named organisation, for the stated purpose; not to be shared outside it "
    "without DHS/OBIM's consent."
)
ANY_OUS = ["*"]
PCSC_OUS = ["CBP/OFO", "ICE/HSI"]


def _dev_terms(
    country: str,
    agency: str,
    program: str,
    owners: list[str],
    *,
    purposes: list[str],
    since: int,
    ous: list[str] = ANY_OUS,
    fields: list[str] = ALL_FIELDS,
    di: tuple[str, ...] = (),
    protected: tuple[str, ...] = (),
    kind: str = domain.FOREIGN,
    limits: str = "",
) -> dict[str, Any]:
    """One development agreement's terms (in force since 1 January of `since`, with no end)."""
    return {
        "recipient_kind": kind,
        "use_limits": limits or FOREIGN_LIMITS,
        "partner_country": country or None,
        "partner_agency": agency,
        "program": program,
        "data_owners": owners,
        "ous": list(ous),
        "fields": list(fields),
        "di_categories": list(di),
        "protected_classes": list(protected),
        "caveat": CAVEAT if protected else "",
        "purposes": purposes,
        "valid_from": dt.date(since, 1, 1),
        "valid_to": None,
    }


def _pcsc_terms(country: str, agency: str, *, since: int) -> dict[str, Any]:
    """A PCSC agreement: serious crime, criminal derogatory information, CBP and ICE encounters of two O/U/S."""
    fields = [*ALL_FIELDS, "derogatory_information"]
    return _dev_terms(
        country,
        agency,
        "PCSC",
        ["CBP", "ICE"],
        ous=PCSC_OUS,
        fields=fields,
        di=("CRIMINAL",),
        purposes=["serious-crime"],
        since=since,
    )


_ALL_OWNERS = ["CBP", "ICE", "USCIS", "DOS"]
TSC = domain.TSC
TSC_PURPOSE = "watchlist-match-notification"
OWNER_PURPOSE = "owner-referral"
FAST_MATCHER_PURPOSE = "fast-matcher-removal"
DEV_AGREEMENTS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "UK Home Office Visa Services MOU",
        "uk-home-office",
        _dev_terms(
            "GBR",
            "UK Home Office (UKVI)",
            "UK-VISA",
            _ALL_OWNERS,
            di=("CRIMINAL", "IMMIGRATION"),
            purposes=["visa-adjudication"],
            since=2008,
        ),
    ),
    (
        "M5 Australia HVP",
        "m5-australia",
        _dev_terms(
            "AUS",
            "Department of Home Affairs",
            "M5",
            _ALL_OWNERS,
            di=("IMMIGRATION",),
            protected=("ASYLEE", "REFUGEE"),
            purposes=["immigration", "border-management"],
            since=2012,
        ),
    ),
    (
        "M5 Canada HVP",
        "m5-canada",
        _dev_terms(
            "CAN",
            "Canada Border Services Agency",
            "M5",
            ["CBP", "USCIS", "DOS"],
            di=("IMMIGRATION",),
            purposes=["immigration"],
            since=2012,
        ),
    ),
    (
        "M5 New Zealand HVP",
        "m5-new-zealand",
        _dev_terms("NZL", "Immigration New Zealand", "M5", ["CBP", "USCIS"], purposes=["immigration"], since=2013),
    ),
    (
        "PCSC Greece",
        "pcsc-greece",
        _pcsc_terms("GRC", "Hellenic Police", since=2010),
    ),
    (
        "PCSC Italy",
        "pcsc-italy",
        _pcsc_terms("ITA", "Ministero dell'Interno", since=2011),
    ),
    (
        "M5 United Kingdom HVP",
        "m5-united-kingdom",
        _dev_terms(
            "GBR", "UK Home Office (Immigration Enforcement)", "M5", _ALL_OWNERS, purposes=["immigration"], since=2012
        ),
    ),
    (
        "KST United Kingdom (FBI/DHS/UK)",
        "kst-united-kingdom",
        _dev_terms(
            "GBR",
            "UK Counter Terrorism Policing",
            "KST",
            [*_ALL_OWNERS, TSC],
            purposes=["national-security", "law-enforcement"],
            since=2014,
        ),
    ),
    (
        "Mexico biometric sharing arrangement (IDENT Appendix)",
        "mexico",
        _dev_terms(
            "MEX", "Instituto Nacional de Migracion", "M5", ["CBP", "ICE"], purposes=["immigration"], since=2017
        ),
    ),
    # Recipients inside the US: the owners of the data and other USG agencies (issue 28). Every one is a
    # disclosure under an agreement, with its accounting, as a foreign partner's response is.
    (
        "FBI KST sharing (FBI/DHS/UK)",
        "kst-fbi",
        _dev_terms(
            "",
            "FBI",
            "KST",
            [*_ALL_OWNERS, TSC],
            purposes=["national-security"],
            since=2014,
            kind="usg-agency",
            limits=DOMESTIC_LIMITS,
        ),
    ),
    (
        "FBI Terrorist Screening Center match notifications",
        "tsc",
        _dev_terms(
            "",
            "FBI Terrorist Screening Center",
            "*",
            [TSC],
            purposes=[TSC_PURPOSE],
            since=2008,
            kind="tsc",
            limits=DOMESTIC_LIMITS,
        ),
    ),
    (
        "Department of State encounter alerts and reports",
        "dos",
        _dev_terms(
            "",
            "Department of State (CA/VO)",
            "*",
            ["DOS"],
            fields=OWNER_FIELDS,
            purposes=[OWNER_PURPOSE],
            since=2012,
            kind="dos",
            limits=DOMESTIC_LIMITS,
        ),
    ),
    *[
        (
            f"{owner} data owner referrals",
            owner.lower(),
            _dev_terms(
                "",
                name,
                "*",
                [owner],
                fields=OWNER_FIELDS,
                purposes=[OWNER_PURPOSE, FAST_MATCHER_PURPOSE],
                since=2008,
                kind="dhs-component",
                limits=DOMESTIC_LIMITS,
            ),
        )
        for owner, name in (
            ("CBP", "U.S. Customs and Border Protection"),
            ("ICE", "U.S. Immigration and Customs Enforcement"),
            ("USCIS", "U.S. Citizenship and Immigration Services"),
            ("TSA", "Transportation Security Administration"),
        )
    ],
]


async def seed_dev_agreements(*, uow_factory: Callable[..., UnitOfWork], pki_dir: Path | None) -> int:
    """Realistic agreements for development, each with a recipient whose certificate is in the dev PKI."""
    created = 0
    for name, stem, terms in DEV_AGREEMENTS:
        cert_path = pki_dir / f"{stem}.crt" if pki_dir else None
        cert_pem = cert_path.read_text() if cert_path and cert_path.exists() else None
        async with uow_factory() as uow:
            existing = await queries.agreement_by_name(uow.session, name)
            people = await queries.agreement_recipients(uow.session, existing["id"]) if existing else []
        if existing is not None:
            # A store seeded before the PKI was wired: give the agreement a recipient that can be sent to.
            if cert_pem is None or any(p["certificate_pem"] for p in people):
                continue
            agreement_id = existing["id"]
        else:
            agreement_id = await create_agreement(uow=uow_factory(), name=name, terms=terms, note="development seed")
            async with uow_factory() as uow:
                # Development only: the seed stands in for the privacy office that approved the real ISAA.
                row = await queries.lock_agreement(uow.session, agreement_id)
                await queries.review_version(
                    uow.session, agreement_id, 1, status="approved", reviewer="development seed", note="seed"
                )
                await _put_in_force(uow, row, {**terms, "version": 1})
        email = (mail.certificate_mailbox(cert_pem) if cert_pem else None) or f"{stem}@partner.example"
        await add_recipient(
            uow=uow_factory(),
            agreement_id=agreement_id,
            person=f"{terms['partner_agency']} desk",
            email=email,
            certificate_pem=cert_pem,
        )
        created += 1
    return created
