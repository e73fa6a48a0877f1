"""What keeps a secret ballot unlinkable to its voter once stored.

A secret poll stores three things that must not point at each other:
- who voted: poll_voters (poll, participant), no time, no order (no rowid on SQLite);
- what was voted: ballots with no participant, no times and a random id;
- the idempotency log: votes keyed by the SHA-256 of the client's vote id, with no
  participant and the receipt sealed with the vote id itself.

Only the voter's phone knows the vote id, so only it can look its vote up again (a
resend after a lost ack gets its receipt back); the server keeps nothing that leads
from a person to a ballot. See docs/architecture.md, "Secret ballots", for the limits.
"""

from __future__ import annotations

import hashlib
import secrets

from voting.database import MAX_ID

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # the receipts' 32 symbols, 5 bits each


def hashed_vote_id(vote_id: str) -> str:
    """Return the key under which a secret vote's log entry is stored."""
    return hashlib.sha256(f"plenum-secret-vote:{vote_id}".encode()).hexdigest()


def _pad(vote_id: str) -> int:
    """Return 40 bits derived from the vote id, to seal a receipt with."""
    digest = hashlib.sha256(f"plenum-receipt-seal:{vote_id}".encode()).digest()
    return int.from_bytes(digest[:5], "big")


def _bits(receipt: str) -> int:
    """Read a receipt like K7QM-2XPA as a 40-bit number."""
    value = 0
    for symbol in receipt.replace("-", ""):
        value = (value << 5) | ALPHABET.index(symbol)
    return value


def _receipt(bits: int) -> str:
    """Write a 40-bit number as a receipt like K7QM-2XPA."""
    raw = "".join(ALPHABET[(bits >> shift) & 31] for shift in range(35, -1, -5))
    return f"{raw[:4]}-{raw[4:]}"


def seal_receipt(receipt: str, vote_id: str) -> str:
    """Encrypt a receipt with the vote id (a one-time pad: the vote id is random)."""
    return _receipt(_bits(receipt) ^ _pad(vote_id))


def open_receipt(sealed: str, vote_id: str) -> str:
    """Decrypt a sealed receipt with the vote id that sealed it."""
    return _receipt(_bits(sealed) ^ _pad(vote_id))


def random_ballot_id() -> int:
    """Return a random ballot id, so ids say nothing about the order of votes."""
    return secrets.randbelow(MAX_ID) + 1
