"""A development PKI for `make run`: a CA, the office's signing certificate, one certificate per partner.

Everything is PEM under var/pki/, so a message in var/mail/ can be decrypted by hand:
    openssl cms -decrypt -in var/mail/<file>.eml -recip var/pki/<partner>.crt -inkey var/pki/<partner>.key
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEV_OFFICE_EMAIL = "tracs-office@obim.dhs.example"
# Seeded partner recipients (UK visa services, M5, PCSC Greece/Italy): one certificate + key each.
DEV_PARTNERS = {
    "uk-home-office": "vetting@homeoffice.gov.uk.example",
    "m5-australia": "biometrics@homeaffairs.gov.au.example",
    "m5-canada": "biometrics@cbsa-asfc.gc.ca.example",
    "m5-new-zealand": "biometrics@immigration.govt.nz.example",
    "pcsc-greece": "pcsc@hellenicpolice.gr.example",
    "pcsc-italy": "pcsc@interno.it.example",
    "m5-united-kingdom": "m5@homeoffice.gov.uk.example",
    "kst-united-kingdom": "kst@ctp.police.uk.example",
    "mexico": "biometria@inm.gob.mx.example",
    "kst-fbi": "kst@fbi.gov.example",
    "tsc": "notifications@tsc.fbi.gov.example",
    "dos": "ca-vo-alerts@state.gov.example",
    "cbp": "data-owner@cbp.dhs.gov.example",
    "ice": "data-owner@ice.dhs.gov.example",
    "uscis": "data-owner@uscis.dhs.gov.example",
    "tsa": "data-owner@tsa.dhs.gov.example",
}


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str, org: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org), x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    )


def _write(folder: Path, stem: str, cert: x509.Certificate, key: rsa.RSAPrivateKey | None) -> None:
    (folder / f"{stem}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        path = folder / f"{stem}.key"
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        path.chmod(0o600)


def issue(
    ca_cert: x509.Certificate,
    ca_key: rsa.RSAPrivateKey,
    *,
    email: str,
    org: str,
    days: int = 825,
    not_before: dt.datetime | None = None,
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """An S/MIME certificate (signing and key encipherment) for one mailbox."""
    key = _key()
    start = not_before or dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(email, org))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def certificate_authority(org: str = "TRACS development CA") -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = _key()
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    name = _name(org, "TRACS development")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return cert, key


def ensure_dev_pki(folder: Path, office_email: str, partners: dict[str, str]) -> list[Path]:
    """Create the CA, the office certificate and each partner's certificate unless they exist already."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    written: list[Path] = []
    if not (folder / "ca.crt").exists():
        ca_cert, ca_key = certificate_authority()
        _write(folder, "ca", ca_cert, ca_key)
        written.append(folder / "ca.crt")
    ca_cert = x509.load_pem_x509_certificate((folder / "ca.crt").read_bytes())
    ca_key = serialization.load_pem_private_key((folder / "ca.key").read_bytes(), password=None)
    assert isinstance(ca_key, rsa.RSAPrivateKey)
    for stem, email in {"office": office_email, **partners}.items():
        if not (folder / f"{stem}.crt").exists():
            cert, key = issue(ca_cert, ca_key, email=email, org=stem)
            _write(folder, stem, cert, key)
            written.append(folder / f"{stem}.crt")
    return written
