"""The one way TRACS hands a message to the mail relay: disclosure's sealed messages, the gateway's notices."""

from __future__ import annotations

import aiosmtplib

from shared.errors import Unavailable


class DeliveryUncertain(Unavailable):
    """The relay stopped answering mid-conversation: the message may or may not have been accepted."""


# The relay could not be reached, or answered with a refusal: it certainly did not take the message.
_REFUSED = (
    aiosmtplib.SMTPConnectError,
    aiosmtplib.SMTPResponseException,
    aiosmtplib.SMTPRecipientsRefused,
    aiosmtplib.SMTPNotSupported,
    ConnectionRefusedError,
)


async def deliver(message: bytes, *, sender: str, recipient: str, host: str, port: int) -> None:
    """Hand the sealed message to the relay: `Unavailable` if it refused it, `DeliveryUncertain` if we cannot tell."""
    try:
        await aiosmtplib.send(message, sender=sender, recipients=[recipient], hostname=host, port=port, timeout=30)
    except _REFUSED as exc:
        raise Unavailable(
            f"the mail relay {host}:{port} did not accept the message ({type(exc).__name__}); nothing was sent"
        ) from exc
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise DeliveryUncertain(
            f"the mail relay {host}:{port} stopped answering ({type(exc).__name__}); the message may have left "
            "and is accounted as pending until the service delivers it again with the same Message-ID"
        ) from exc
