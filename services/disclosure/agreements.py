"""Agreement use cases: ISAAs as versioned data, their recipients and certificates, development seeds."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from services.disclosure import db, domain
from services.disclosure.mail import check_recipient_certificate
from shared.errors import Conflict, NotFound
from shared.events.disclosure import AgreementChanged
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)


def _version_row(agreement_id: uuid.UUID, version: int, terms: dict[str, Any], note: str, actor: str) -> dict:
    return {
        "agreement_id": agreement_id,
        "version": version,
        **{k: terms[k] for k in db.VERSION_FIELDS},
        "change_note": note,
        "changed_by": actor,
    }


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
    """A new agreement at version 1."""
    domain.check_terms(terms)
    agreement_id = uuid.uuid4()
    async with uow:
        if await db.agreement_by_name(uow.session, name) is not None:
            raise Conflict(f"an agreement named {name!r} exists already")
        await db.insert_agreement(
            uow.session, {"id": agreement_id, "name": name, "current_version": 1, "created_by": uow.actor}
        )
        await db.insert_version(uow.session, _version_row(agreement_id, 1, terms, note, uow.actor))
        uow.emit(_changed(agreement_id, 1, name, terms))
    log.info("agreement created", agreement_id=str(agreement_id))
    return agreement_id


async def revise_agreement(*, uow: UnitOfWork, agreement_id: uuid.UUID, terms: dict[str, Any], note: str) -> int:
    """Every change is a new version; earlier versions stay as they were for the annual audit."""
    domain.check_terms(terms)
    async with uow:
        row = await db.lock_agreement(uow.session, agreement_id)
        if row is None:
            raise NotFound(f"no agreement {agreement_id}")
        version = row["current_version"] + 1
        await db.insert_version(uow.session, _version_row(agreement_id, version, terms, note, uow.actor))
        await db.set_current_version(uow.session, agreement_id, version, uow.actor)
        uow.emit(_changed(agreement_id, version, row["name"], terms))
    log.info("agreement revised", agreement_id=str(agreement_id), version=version)
    return version


async def get_agreement(*, uow: UnitOfWork, agreement_id: uuid.UUID) -> dict[str, Any]:
    async with uow:
        current = await db.current_agreement(uow.session, agreement_id)
        if current is None:
            raise NotFound(f"no agreement {agreement_id}")
        history = await db.versions(uow.session, agreement_id)
        people = await db.agreement_recipients(uow.session, agreement_id)
    return {**dict(current), "history": [dict(h) for h in history], "recipients": [_recipient(r) for r in people]}


async def list_agreements(*, uow: UnitOfWork) -> list[dict[str, Any]]:
    async with uow:
        return [dict(r) for r in await db.current_agreements(uow.session)]


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
        check_recipient_certificate(certificate_pem, now=dt.datetime.now(dt.UTC))
    recipient_id = uuid.uuid4()
    async with uow:
        if await db.current_agreement(uow.session, agreement_id) is None:
            raise NotFound(f"no agreement {agreement_id}")
        await db.insert_recipient(
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
        rows = await db.agreement_recipients(uow.session, agreement_id)
    return next(_recipient(r) for r in rows if r["id"] == recipient_id)


async def retire_recipient(
    *, uow: UnitOfWork, agreement_id: uuid.UUID, recipient_id: uuid.UUID, reason: str
) -> dict[str, Any]:
    """No more disclosures to this person; the row stays, because the accounting names who received what."""
    async with uow:
        row = await db.recipient_for_update(uow.session, agreement_id, recipient_id)
        if row is None:
            raise NotFound(f"no recipient {recipient_id} of agreement {agreement_id}")
        if row["retired_at"] is not None:
            raise Conflict(f"recipient {recipient_id} was already retired by {row['retired_by']}")
        await db.retire_recipient(uow.session, recipient_id, by=uow.actor, reason=reason)
        rows = await db.agreement_recipients(uow.session, agreement_id)
    return next(_recipient(r) for r in rows if r["id"] == recipient_id)


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
CAVEAT = (
    "This information concerns a person protected by 8 U.S.C. 1367 or similar confidentiality provisions; "
    "do not disclose it further."
)
DEV_AGREEMENTS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "UK Home Office Visa Services MOU",
        "uk-home-office",
        {
            "partner_country": "GBR",
            "partner_agency": "UK Home Office (UKVI)",
            "program": "UK-VISA",
            "data_owners": ["CBP", "ICE", "USCIS", "DOS"],
            "ous": ["*"],
            "fields": ALL_FIELDS,
            "di_categories": ["CRIMINAL", "IMMIGRATION"],
            "protected_classes": [],
            "caveat": "",
            "purposes": ["visa-adjudication"],
            "valid_from": dt.date(2008, 1, 1),
            "valid_to": None,
        },
    ),
    (
        "M5 Australia HVP",
        "m5-australia",
        {
            "partner_country": "AUS",
            "partner_agency": "Department of Home Affairs",
            "program": "M5",
            "data_owners": ["CBP", "ICE", "USCIS", "DOS"],
            "ous": ["*"],
            "fields": ALL_FIELDS,
            "di_categories": ["IMMIGRATION"],
            "protected_classes": ["ASYLEE", "REFUGEE"],
            "caveat": CAVEAT,
            "purposes": ["immigration", "border-management"],
            "valid_from": dt.date(2012, 1, 1),
            "valid_to": None,
        },
    ),
    (
        "M5 Canada HVP",
        "m5-canada",
        {
            "partner_country": "CAN",
            "partner_agency": "Canada Border Services Agency",
            "program": "M5",
            "data_owners": ["CBP", "USCIS", "DOS"],
            "ous": ["*"],
            "fields": ALL_FIELDS,
            "di_categories": ["IMMIGRATION"],
            "protected_classes": [],
            "caveat": "",
            "purposes": ["immigration"],
            "valid_from": dt.date(2012, 1, 1),
            "valid_to": None,
        },
    ),
    (
        "M5 New Zealand HVP",
        "m5-new-zealand",
        {
            "partner_country": "NZL",
            "partner_agency": "Immigration New Zealand",
            "program": "M5",
            "data_owners": ["CBP", "USCIS"],
            "ous": ["*"],
            "fields": ALL_FIELDS,
            "di_categories": [],
            "protected_classes": [],
            "caveat": "",
            "purposes": ["immigration"],
            "valid_from": dt.date(2013, 1, 1),
            "valid_to": None,
        },
    ),
    (
        "PCSC Greece",
        "pcsc-greece",
        {
            "partner_country": "GRC",
            "partner_agency": "Hellenic Police",
            "program": "PCSC",
            "data_owners": ["CBP", "ICE"],
            "ous": ["CBP/OFO", "ICE/HSI"],
            "fields": [*ALL_FIELDS, "derogatory_information"],
            "di_categories": ["CRIMINAL"],
            "protected_classes": [],
            "caveat": "",
            "purposes": ["serious-crime"],
            "valid_from": dt.date(2010, 1, 1),
            "valid_to": None,
        },
    ),
    (
        "PCSC Italy",
        "pcsc-italy",
        {
            "partner_country": "ITA",
            "partner_agency": "Ministero dell'Interno",
            "program": "PCSC",
            "data_owners": ["CBP", "ICE"],
            "ous": ["CBP/OFO", "ICE/HSI"],
            "fields": [*ALL_FIELDS, "derogatory_information"],
            "di_categories": ["CRIMINAL"],
            "protected_classes": [],
            "caveat": "",
            "purposes": ["serious-crime"],
            "valid_from": dt.date(2011, 1, 1),
            "valid_to": None,
        },
    ),
]


def _mailbox(cert_pem: str) -> str | None:
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    emails = san.get_values_for_type(x509.RFC822Name)
    return emails[0] if emails else None


async def seed_dev_agreements(*, uow_factory: Any, pki_dir: Path | None) -> int:
    """Realistic agreements for development, each with a recipient whose certificate is in the dev PKI."""
    created = 0
    for name, stem, terms in DEV_AGREEMENTS:
        cert_path = pki_dir / f"{stem}.crt" if pki_dir else None
        cert_pem = cert_path.read_text() if cert_path and cert_path.exists() else None
        async with uow_factory() as uow:
            existing = await db.agreement_by_name(uow.session, name)
            people = await db.agreement_recipients(uow.session, existing["id"]) if existing else []
        if existing is not None:
            # A store seeded before the PKI was wired: give the agreement a recipient that can be sent to.
            if cert_pem is None or any(p["certificate_pem"] for p in people):
                continue
            agreement_id = existing["id"]
        else:
            agreement_id = await create_agreement(uow=uow_factory(), name=name, terms=terms, note="development seed")
        email = (_mailbox(cert_pem) if cert_pem else None) or f"{stem}@partner.example"
        await add_recipient(
            uow=uow_factory(),
            agreement_id=agreement_id,
            person=f"{terms['partner_agency']} desk",
            email=email,
            certificate_pem=cert_pem,
        )
        created += 1
    return created
