"""Ticket codes and personal-link tokens: unguessable, and only the link's hash is stored."""

from __future__ import annotations

import hashlib
import re
import secrets

import segno

# Letters and digits that cannot be mistaken for each other when typed at the door.
TICKET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TICKET_LENGTH = 10  # 32**10 = 10**15 codes: guessing one is hopeless under rate limits
LINK_TOKEN_BYTES = 32


def new_ticket_code() -> str:
    """Return a fresh random ticket code, e.g. K7QM2XPAHD."""
    return "".join(secrets.choice(TICKET_ALPHABET) for _ in range(TICKET_LENGTH))


def normalise_ticket(text: str) -> str:
    """Return a typed or scanned ticket code as stored (any case, dashes, spaces, URL)."""
    text = str(text or "").strip()
    # A scanner may hand over a URL ending in the code; keep only its last part.
    text = text.rstrip("/").rsplit("/", 1)[-1]
    return re.sub(r"[\s-]", "", text).upper()[:32]


def format_ticket(code: str) -> str:
    """Return a ticket code split in two halves for reading, e.g. K7QM2-XPAHD."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def new_link_token() -> tuple[str, str]:
    """Return a fresh personal-link token and the hash to store."""
    token = secrets.token_urlsafe(LINK_TOKEN_BYTES)
    return token, link_hash(token)


def link_hash(token: str) -> str:
    """Return the stored form of a personal-link token."""
    return hashlib.sha256(str(token).encode()).hexdigest()


def ticket_qr(code: str) -> segno.QRCode:
    """Return the QR code of a ticket: the code alone, never a personal link.

    micro=False: a short code would otherwise become a Micro QR code, which phone
    cameras and the check-in scanner (jsQR) cannot read.
    """
    return segno.make(code, error="m", micro=False)
