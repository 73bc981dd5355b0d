"""Printing a new account's authenticator set-up in the terminal."""

from __future__ import annotations

import base64
import io

import qrcode


def enrolment_text(device) -> str:
    qr = qrcode.QRCode(border=1)
    qr.add_data(device.config_url)
    out = io.StringIO()
    qr.print_ascii(out=out, invert=True)
    secret = base64.b32encode(device.bin_key).decode()
    return (
        f"{out.getvalue()}\nAuthenticator key: {secret}\n"
        "Scan the code (or type the key) into an authenticator app; the first sign-in asks for a code.\n"
    )
