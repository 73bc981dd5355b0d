"""Printing a new account's authenticator set-up in the terminal."""

from __future__ import annotations

import io

import qrcode

from corridor.accounts import totp_store


def enrolment_text(device) -> str:
    qr = qrcode.QRCode(border=1)
    qr.add_data(totp_store.config_url(device))
    out = io.StringIO()
    qr.print_ascii(out=out, invert=True)
    secret = totp_store.secret_b32(device)
    return (
        f"{out.getvalue()}\nAuthenticator key: {secret}\n"
        "Scan the code (or type the key) into an authenticator app; the first sign-in asks for a code.\n"
    )
