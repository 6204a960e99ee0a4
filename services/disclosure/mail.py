"""S/MIME for partner responses: signed by the office, then enveloped (CMS) to the recipient's certificate.

An adapter: the disclosure domain decides what may leave; this module only seals and delivers it.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7

from shared.errors import Conflict
from shared.smtp import DeliveryUncertain, deliver  # noqa: F401 - the one SMTP path, shared with the gateway


@dataclass(frozen=True)
class OfficeIdentity:
    email: str
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey


def load_office(cert_pem: bytes, key_pem: bytes, email_address: str) -> OfficeIdentity:
    key = serialization.load_pem_private_key(key_pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the office signing key must be RSA")
    return OfficeIdentity(email_address, x509.load_pem_x509_certificate(cert_pem), key)


def office_from_files(cert: Path | None, key: Path | None, email_address: str) -> OfficeIdentity:
    """The office's signing identity from its PEM files; nothing is sent unsigned, so missing files refuse."""
    if not (cert and key and cert.exists() and key.exists()):
        raise Conflict("the office signing certificate is not configured (TRACS_DISCLOSURE_PKI_DIR)")
    return load_office(cert.read_bytes(), key.read_bytes(), email_address)


def check_recipient_certificate(cert_pem: str | None, *, now: dt.datetime) -> x509.Certificate:
    """A recipient without a usable certificate cannot be sent to: nothing leaves unencrypted."""
    if not cert_pem:
        raise Conflict("the recipient has no certificate; nothing can be sent to them")
    try:
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
    except ValueError as exc:
        raise Conflict("the recipient's certificate cannot be read") from exc
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise Conflict(
            f"the recipient's certificate is not valid now (valid {cert.not_valid_before_utc:%Y-%m-%d}"
            f" to {cert.not_valid_after_utc:%Y-%m-%d})"
        )
    return cert


def certificate_mailbox(cert_pem: str) -> str | None:
    """The email address a certificate is issued to (its first RFC 822 subject alternative name), if any."""
    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    emails = san.get_values_for_type(x509.RFC822Name)
    return emails[0] if emails else None


def new_message_id() -> str:
    """The Message-ID a sealed response carries; a re-delivery keeps it, so recipients can spot duplicates."""
    return email.utils.make_msgid(domain="tracs.local")


def seal(
    *,
    body: str,
    subject: str,
    office: OfficeIdentity,
    recipient_email: str,
    recipient_cert: x509.Certificate,
    message_id: str | None = None,
) -> bytes:
    """A complete RFC 5322 message: text/plain, S/MIME-signed by the office, enveloped to the recipient."""
    inner = ("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body).encode()
    signed = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(inner)
        .add_signer(office.certificate, office.key, hashes.SHA256())
        .sign(serialization.Encoding.SMIME, [pkcs7.PKCS7Options.DetachedSignature])
    )
    enveloped = (
        pkcs7.PKCS7EnvelopeBuilder()
        .set_data(signed)
        .add_recipient(recipient_cert)
        .encrypt(serialization.Encoding.SMIME, [])
    )
    headers = (
        f"From: {office.email}\r\nTo: {recipient_email}\r\nSubject: {subject}\r\n"
        f"Date: {email.utils.formatdate(usegmt=True)}\r\nMessage-ID: {message_id or new_message_id()}\r\n"
    )
    return headers.encode() + enveloped.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


@dataclass(frozen=True)
class Sealed:
    """A response as it will leave: its Message-ID and the exact bytes, kept for a re-delivery."""

    message_id: str
    message: bytes

    @property
    def digest(self) -> str:
        """SHA-256 of the sealed bytes, as the accounting keeps it."""
        return hashlib.sha256(self.message).hexdigest()


def seal_to(
    *,
    body: str,
    subject: str,
    office: OfficeIdentity,
    recipient_email: str,
    certificate_pem: str | None,
    now: dt.datetime,
) -> Sealed:
    """Seal a response to a recipient whose certificate is usable now, under a new Message-ID."""
    cert = check_recipient_certificate(certificate_pem, now=now)
    message_id = new_message_id()
    message = seal(
        body=body,
        subject=subject,
        office=office,
        recipient_email=recipient_email,
        recipient_cert=cert,
        message_id=message_id,
    )
    return Sealed(message_id, message)
