"""S/MIME to partners, proven with a standard client: a real SMTP server receives it, `openssl` opens it."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from services.disclosure.mail import check_recipient_certificate, deliver, load_office, seal
from shared.errors import Conflict
from tracs.infra import free_port, stop_process, wait_for_port
from tracs.pki import certificate_authority, ensure_dev_pki, issue

BODY = "Case 42: MATCH.\nFindings (accurate as of 2026-11-24): travel history on file.\nÜmlauts and 中文 survive.\n"


@pytest.fixture
def pki(tmp_path: Path) -> Path:
    folder = tmp_path / "pki"
    ensure_dev_pki(
        folder,
        "tracs-office@obim.example",
        {"uk-home-office": "vetting@homeoffice.example", "pcsc-greece": "pcsc@police.example.gr"},
    )
    return folder


def _openssl(*args: str, stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["openssl", "cms", *args], input=stdin, capture_output=True, timeout=30)


async def test_a_sealed_message_reaches_the_smtp_server_and_only_the_recipient_key_opens_it(
    pki: Path, tmp_path: Path
) -> None:
    office = load_office(
        (pki / "office.crt").read_bytes(), (pki / "office.key").read_bytes(), "tracs-office@obim.example"
    )
    cert = check_recipient_certificate((pki / "uk-home-office.crt").read_text(), now=dt.datetime.now(dt.UTC))
    message = seal(
        body=BODY,
        subject="TRACS response",
        office=office,
        recipient_email="vetting@homeoffice.example",
        recipient_cert=cert,
    )

    port = free_port()
    mailbox = tmp_path / "mail"
    sink = subprocess.Popen([sys.executable, "-m", "tracs.mailsink", "--dir", str(mailbox), "--port", str(port)])
    try:
        wait_for_port(port, 15, sink)
        await deliver(message, sender=office.email, recipient="vetting@homeoffice.example", host="127.0.0.1", port=port)
    finally:
        stop_process(sink)
    (received,) = mailbox.glob("*.eml")
    raw = received.read_bytes()
    assert b"application/pkcs7-mime" in raw and b"Case 42" not in raw  # nothing readable on the wire

    opened = _openssl(
        "-decrypt", "-recip", str(pki / "uk-home-office.crt"), "-inkey", str(pki / "uk-home-office.key"), stdin=raw
    )
    assert opened.returncode == 0, opened.stderr.decode()
    verified = _openssl("-verify", "-CAfile", str(pki / "ca.crt"), stdin=opened.stdout)
    assert verified.returncode == 0, verified.stderr.decode()
    assert "Case 42: MATCH." in verified.stdout.decode() and "中文" in verified.stdout.decode()

    wrong = _openssl(
        "-decrypt", "-recip", str(pki / "pcsc-greece.crt"), "-inkey", str(pki / "pcsc-greece.key"), stdin=raw
    )
    assert wrong.returncode != 0  # another partner's key opens nothing


def test_no_certificate_or_an_expired_one_cannot_be_sent_to() -> None:
    ca_cert, ca_key = certificate_authority()
    old, _ = issue(
        ca_cert,
        ca_key,
        email="old@partner.example",
        org="old",
        days=30,
        not_before=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
    )
    from cryptography.hazmat.primitives import serialization

    with pytest.raises(Conflict, match="no certificate"):
        check_recipient_certificate(None, now=dt.datetime.now(dt.UTC))
    with pytest.raises(Conflict, match="not valid now"):
        check_recipient_certificate(old.public_bytes(serialization.Encoding.PEM).decode(), now=dt.datetime.now(dt.UTC))
    with pytest.raises(Conflict, match="cannot be read"):
        check_recipient_certificate(
            "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----", now=dt.datetime.now(dt.UTC)
        )


def test_the_dev_pki_is_made_once_and_keys_are_private(pki: Path) -> None:
    before = (pki / "office.crt").read_bytes()
    assert ensure_dev_pki(pki, "tracs-office@obim.example", {"uk-home-office": "vetting@homeoffice.example"}) == []
    assert (pki / "office.crt").read_bytes() == before
    assert oct((pki / "uk-home-office.key").stat().st_mode & 0o777) == "0o600"


async def test_a_relay_that_is_down_is_a_clear_unavailable_error(pki: Path) -> None:
    from shared.errors import Unavailable

    with pytest.raises(Unavailable, match="did not accept the message"):
        await deliver(
            b"Subject: x\r\n\r\nx", sender="a@b.example", recipient="c@d.example", host="127.0.0.1", port=free_port()
        )
