"""Authenticator-app codes computed as a phone would (RFC 6238: HMAC-SHA1, 30-second periods, 6 digits), so tests
check allauth's TOTP against the standard rather than against itself."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

PERIOD = 30


def totp_code(secret: str, at: float | None = None) -> str:
    counter = int((time.time() if at is None else at) // PERIOD)
    digest = hmac.new(base64.b32decode(secret, casefold=True), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def seconds_left_in_period() -> float:
    return PERIOD - time.time() % PERIOD


def wait_for_period_with(seconds: float) -> None:
    """Sleep into the next period unless this one has `seconds` left, so steps that must share a code's period do."""
    left = seconds_left_in_period()
    if left < seconds:
        time.sleep(left + 0.05)
