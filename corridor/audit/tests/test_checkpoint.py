"""C2SP checkpoints and signed notes: published vectors, round trips and attacks."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from corridor.audit.checkpoint import (
    Checkpoint,
    CheckpointError,
    key_id,
    open_checkpoint,
    open_note,
    parse_verifier_key,
    sign_checkpoint,
    sign_note,
    verifier_key,
)

EM = "\u2014"

# Published signed-note vector: golang/mod sumdb/note/note_test.go
# (TestNewVerifier, TestSign, TestOpen). The private key string is
# "PRIVATE+KEY+<name>+<key id>+base64(0x01 || Ed25519 seed)".
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
PETER_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = f"{EM} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
ENOCH_SIG = f"{EM} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

# A real checkpoint from the Go checksum database, "retrieved from
# https://sum.golang.org/latest, 2024-09-23", with the key from golang/go
# src/cmd/go/internal/modfetch/key.go; as quoted in sigsum/sigsum-go
# pkg/checkpoint/checkpoint_test.go (TestGoSumDBCheckpoint).
SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_CHECKPOINT = (
    "go.sum database tree\n"
    "30055305\n"
    "mXfgRcJ0bG0j3CPdKwgGWtUzBUbX67saZGRmFuJGGsM=\n"
    "\n"
    f"{EM} sum.golang.org Az3grpgEild5qw7+5dtV13Kf1C2Xurm8q4fhdxvcsDHnqNTaxL2AFjBY+2TyGKevucFcAAlWFJJYle3EJlDCrQ+y3A8=\n"
)

ORIGIN = "corridor.example/audit"
ROOT = bytes(range(32))


def raw_public_key(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


LOG_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(100, 132)))
LOG_PUB = raw_public_key(LOG_KEY)
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(200, 232)))
OTHER_PUB = raw_public_key(OTHER_KEY)


def signed(cp: Checkpoint, key: Ed25519PrivateKey = LOG_KEY, name: str = ORIGIN) -> str:
    return sign_checkpoint(cp, name, key.sign, raw_public_key(key))


def signed_text(text: str, key: Ed25519PrivateKey = LOG_KEY, name: str = ORIGIN) -> str:
    """Sign arbitrary text, so that only the checkpoint parser can object to it."""
    return sign_note(text, name, key.sign, raw_public_key(key))


def signature_line(note: str) -> str:
    return note[note.rindex("\n\n") + 2 :]


# --- Published vectors --------------------------------------------------------


def test_published_verifier_key_parses_and_its_key_id_matches():
    name, kid, public_key = parse_verifier_key(PETER_VKEY)
    assert name == "PeterNeumann"
    assert kid.hex() == "c74f20a3"
    assert key_id(name, public_key) == kid
    assert verifier_key(name, public_key) == PETER_VKEY


def test_published_private_key_reproduces_the_published_signed_note():
    material = base64.b64decode(PETER_SKEY.split("+", 4)[4])
    assert material[0] == 1
    private = Ed25519PrivateKey.from_private_bytes(material[1:])
    _, _, public_key = parse_verifier_key(PETER_VKEY)
    assert raw_public_key(private) == public_key
    assert sign_note(PETER_TEXT, "PeterNeumann", private.sign, public_key) == PETER_TEXT + "\n" + PETER_SIG


def test_published_note_opens_with_each_trusted_key_and_ignores_the_other():
    note = PETER_TEXT + "\n" + PETER_SIG + ENOCH_SIG
    for vkey in (PETER_VKEY, ENOCH_VKEY):
        name, _, public_key = parse_verifier_key(vkey)
        assert open_note(note, name, public_key) == PETER_TEXT


def test_published_note_without_the_trusted_signature_is_refused():
    name, _, public_key = parse_verifier_key(ENOCH_VKEY)
    with pytest.raises(CheckpointError, match="no signature by EnochRoot"):
        open_note(PETER_TEXT + "\n" + PETER_SIG, name, public_key)


def test_published_note_with_a_corrupted_trusted_signature_is_refused():
    name, _, public_key = parse_verifier_key(PETER_VKEY)
    lengthened = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]  # as in the Go test
    with pytest.raises(CheckpointError, match="signature by PeterNeumann"):
        open_note(PETER_TEXT + "\n" + lengthened, name, public_key)
    flipped = PETER_SIG[:60] + ("B" if PETER_SIG[60] == "A" else "A") + PETER_SIG[61:]
    with pytest.raises(CheckpointError, match="does not verify"):
        open_note(PETER_TEXT + "\n" + flipped, name, public_key)


@pytest.mark.parametrize(
    "note",
    [
        PETER_TEXT,
        PETER_TEXT + "\n",
        PETER_TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + PETER_TEXT + "\n" + PETER_SIG,
        PETER_TEXT + "\n" + f"{EM} Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
        PETER_TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        PETER_TEXT + "\n" + "- PeterNeumann" + PETER_SIG[len(EM) + 13 :],
    ],
)
def test_malformed_notes_from_the_published_suite_are_refused(note):
    name, _, public_key = parse_verifier_key(PETER_VKEY)
    with pytest.raises(CheckpointError):
        open_note(note, name, public_key)


def test_note_that_is_not_utf8_is_refused():
    name, _, public_key = parse_verifier_key(PETER_VKEY)
    with pytest.raises(CheckpointError, match="UTF-8"):
        open_note(b"\xff" + (PETER_TEXT + "\n" + PETER_SIG).encode(), name, public_key)
    assert open_note((PETER_TEXT + "\n" + PETER_SIG).encode(), name, public_key) == PETER_TEXT


def test_real_sum_golang_org_checkpoint_verifies():
    name, kid, public_key = parse_verifier_key(SUMDB_VKEY)
    assert kid.hex() == "033de0ae"
    cp = open_checkpoint(SUMDB_CHECKPOINT, name, public_key, origin="go.sum database tree")
    assert cp.size == 30055305
    assert cp.root == base64.b64decode("mXfgRcJ0bG0j3CPdKwgGWtUzBUbX67saZGRmFuJGGsM=")
    assert cp.extensions == ()
    assert SUMDB_CHECKPOINT.startswith(cp.body() + "\n")


def test_mangled_verifier_keys_are_refused():
    # As golang/mod sumdb/note TestNewVerifier: every proper substring, and every
    # single-character change.
    for start in range(len(PETER_VKEY) + 1):
        for end in range(start + 1, len(PETER_VKEY) + 1):
            if (start, end) != (0, len(PETER_VKEY)):
                with pytest.raises(CheckpointError):
                    parse_verifier_key(PETER_VKEY[start:end])
    for i, ch in enumerate(PETER_VKEY):
        with pytest.raises(CheckpointError):
            parse_verifier_key(PETER_VKEY[:i] + chr(ord(ch) + 1) + PETER_VKEY[i + 1 :])


def test_verifier_keys_of_other_types_or_lengths_are_refused():
    # From the same Go test: a wrong-length key and an unknown algorithm, each
    # with a key id adjusted to match.
    with pytest.raises(CheckpointError):
        parse_verifier_key("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
    with pytest.raises(CheckpointError):
        parse_verifier_key("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")


# --- Our own checkpoints ---------------------------------------------------------


def test_checkpoint_body_has_the_c2sp_layout():
    cp = Checkpoint(ORIGIN, 5, ROOT, ("ext one", "ext two"))
    assert cp.body() == f"{ORIGIN}\n5\n{base64.b64encode(ROOT).decode()}\next one\next two\n"


def test_signed_checkpoint_round_trips_with_the_published_signature_layout():
    cp = Checkpoint(ORIGIN, 1234, ROOT, ("extension",))
    note = signed(cp)
    assert note.startswith(cp.body() + "\n" + f"{EM} {ORIGIN} ")
    raw = base64.b64decode(signature_line(note).split(" ")[2])
    assert raw[:4] == key_id(ORIGIN, LOG_PUB) and len(raw) == 68
    assert open_checkpoint(note, ORIGIN, LOG_PUB, origin=ORIGIN) == cp
    assert open_checkpoint(signed(Checkpoint(ORIGIN, 0, ROOT)), ORIGIN, LOG_PUB).size == 0


def test_verifier_key_round_trips_for_our_log_key():
    assert parse_verifier_key(verifier_key(ORIGIN, LOG_PUB)) == (ORIGIN, key_id(ORIGIN, LOG_PUB), LOG_PUB)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("\n1234\n", "\n1235\n"),
        ("\n1234\n", "\n234\n"),
        (base64.b64encode(ROOT).decode(), base64.b64encode(bytes(31) + b"\x01").decode()),
        (ORIGIN + "\n", "corridor.example/other\n"),
        ("extension\n", "extensioN\n"),
    ],
)
def test_changing_any_line_of_a_signed_checkpoint_breaks_it(old, new):
    note = signed(Checkpoint(ORIGIN, 1234, ROOT, ("extension",)))
    tampered = note.replace(old, new, 1)
    assert tampered != note
    with pytest.raises(CheckpointError, match="does not verify"):
        open_checkpoint(tampered, ORIGIN, LOG_PUB)


def test_checkpoint_signed_by_another_key_is_refused():
    note = signed(Checkpoint(ORIGIN, 7, ROOT), key=OTHER_KEY)
    with pytest.raises(CheckpointError, match="no signature by"):
        open_checkpoint(note, ORIGIN, LOG_PUB)


def test_another_key_posing_with_our_name_and_key_id_is_refused():
    cp = Checkpoint(ORIGIN, 7, ROOT)
    forged = base64.b64encode(key_id(ORIGIN, LOG_PUB) + OTHER_KEY.sign(cp.body().encode())).decode()
    with pytest.raises(CheckpointError, match="does not verify"):
        open_checkpoint(f"{cp.body()}\n{EM} {ORIGIN} {forged}\n", ORIGIN, LOG_PUB)


def test_a_failing_trusted_signature_rejects_the_note_even_beside_a_valid_one():
    note = signed(Checkpoint(ORIGIN, 7, ROOT))
    bad = signature_line(signed(Checkpoint(ORIGIN, 8, ROOT)))
    with pytest.raises(CheckpointError, match="does not verify"):
        open_checkpoint(note + bad, ORIGIN, LOG_PUB)


def test_untrusted_signature_lines_before_or_after_are_tolerated():
    cp = Checkpoint(ORIGIN, 7, ROOT)
    note = signed(cp)
    witness = signature_line(signed(cp, key=OTHER_KEY, name="witness.example"))
    same_name_other_key = signature_line(signed(cp, key=OTHER_KEY))
    junk = f"{EM} pq.example/mldsa {base64.b64encode(bytes(2424)).decode()}\n"
    assert open_checkpoint(note + witness + same_name_other_key + junk, ORIGIN, LOG_PUB) == cp
    body, ours = note.split("\n\n")
    assert open_checkpoint(f"{body}\n\n{witness}{ours}", ORIGIN, LOG_PUB) == cp


@pytest.mark.parametrize("char", ["\x00", "\t", "\r", "\x1b", "\x1f"])
def test_a_note_with_a_control_character_is_refused(char):
    note = signed(Checkpoint(ORIGIN, 7, ROOT))
    with pytest.raises(CheckpointError, match="control character"):
        open_checkpoint(note.replace("\n7\n", f"\n7{char}\n"), ORIGIN, LOG_PUB)
    with pytest.raises(CheckpointError, match="control character"):
        open_checkpoint(note + f"{EM} x{char} AAAAAAAA\n", ORIGIN, LOG_PUB)


def test_too_many_signature_lines_are_refused():
    note = signed(Checkpoint(ORIGIN, 7, ROOT))
    with pytest.raises(CheckpointError, match="more than 100"):
        open_checkpoint(note + signature_line(note) * 100, ORIGIN, LOG_PUB)


def test_a_checkpoint_for_another_origin_is_refused_when_the_origin_is_given():
    note = signed(Checkpoint("corridor.example/other", 7, ROOT))
    assert open_checkpoint(note, ORIGIN, LOG_PUB).origin == "corridor.example/other"
    with pytest.raises(CheckpointError, match="origin"):
        open_checkpoint(note, ORIGIN, LOG_PUB, origin=ORIGIN)


ROOT_B64 = base64.b64encode(ROOT).decode()
URLSAFE_ROOT = base64.urlsafe_b64encode(bytes([0xFF]) * 32).decode()


@pytest.mark.parametrize(
    "text",
    [
        f"{ORIGIN}\n7\n",  # no root line
        f"{ORIGIN}\n{ROOT_B64}\n",
        f"\n7\n{ROOT_B64}\n",  # empty origin
        f"{ORIGIN}\n07\n{ROOT_B64}\n",  # leading zero
        f"{ORIGIN}\n00\n{ROOT_B64}\n",
        f"{ORIGIN}\n+7\n{ROOT_B64}\n",
        f"{ORIGIN}\n-7\n{ROOT_B64}\n",
        f"{ORIGIN}\n 7\n{ROOT_B64}\n",
        f"{ORIGIN}\n1_000\n{ROOT_B64}\n",  # int() would accept this
        f"{ORIGIN}\n\u0667\n{ROOT_B64}\n",  # Arabic-Indic seven: int() would accept this too
        f"{ORIGIN}\n\n{ROOT_B64}\n",
        f"{ORIGIN}\n18446744073709551616\n{ROOT_B64}\n",  # 2**64
        f"{ORIGIN}\n7\n{base64.b64encode(ROOT[:31]).decode()}\n",  # short root
        f"{ORIGIN}\n7\n{base64.b64encode(ROOT + b'x').decode()}\n",  # long root
        f"{ORIGIN}\n7\n{ROOT_B64.rstrip('=')}\n",  # unpadded
        f"{ORIGIN}\n7\n{ROOT_B64[:-2]}9=\n",  # non-zero padding bits
        f"{ORIGIN}\n7\n{URLSAFE_ROOT}\n",  # URL alphabet
        f"{ORIGIN}\n7\n{ROOT_B64}\n\next\n",  # empty extension line
    ],
)
def test_checkpoint_text_breaking_the_c2sp_rules_is_refused_even_when_signed(text):
    with pytest.raises(CheckpointError):
        open_checkpoint(signed_text(text), ORIGIN, LOG_PUB)


def test_largest_tree_size_is_accepted():
    cp = Checkpoint(ORIGIN, 2**64 - 1, ROOT)
    assert open_checkpoint(signed(cp), ORIGIN, LOG_PUB) == cp


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        (("", 1, ROOT), CheckpointError),
        ((ORIGIN + "\n7", 1, ROOT), CheckpointError),
        ((ORIGIN, -1, ROOT), CheckpointError),
        ((ORIGIN, 2**64, ROOT), CheckpointError),
        ((ORIGIN, 1, ROOT[:31]), CheckpointError),
        ((ORIGIN, 1, ROOT, ("",)), CheckpointError),
        ((ORIGIN, 1, ROOT, ("a\nb",)), CheckpointError),
        ((ORIGIN, 1, ROOT, ("\ud800",)), CheckpointError),
        ((ORIGIN, True, ROOT), TypeError),
        ((ORIGIN, "1", ROOT), TypeError),
        ((ORIGIN, 1, bytearray(ROOT)), TypeError),
        ((ORIGIN, 1, ROOT, ["ext"]), TypeError),
    ],
)
def test_malformed_checkpoints_cannot_be_built_or_signed(fields, error):
    with pytest.raises(error):
        Checkpoint(*fields)


def test_signing_refuses_a_signer_that_answers_with_the_wrong_key_or_shape():
    cp = Checkpoint(ORIGIN, 7, ROOT)
    with pytest.raises(CheckpointError, match="does not verify"):
        sign_checkpoint(cp, ORIGIN, OTHER_KEY.sign, LOG_PUB)
    with pytest.raises(CheckpointError, match="64-byte"):
        sign_checkpoint(cp, ORIGIN, lambda msg: LOG_KEY.sign(msg)[:63], LOG_PUB)


@pytest.mark.parametrize("name", ["", "has space", "has+plus", "nb\u00a0space", "tab\tname"])
def test_key_names_with_spaces_or_plus_are_refused(name):
    with pytest.raises(CheckpointError):
        sign_checkpoint(Checkpoint(ORIGIN, 7, ROOT), name, LOG_KEY.sign, LOG_PUB)
    with pytest.raises(CheckpointError):
        verifier_key(name, LOG_PUB)
