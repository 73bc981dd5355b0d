"""The court's verifier installs on its own: the `corridor-verify` wheel, built from
verifier/, in a fresh virtualenv with nothing else, verifies a real bundle."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from corridor.audit.checkpoint import verifier_key
from corridor.evidence import storage
from corridor.keyd.keystore import load_keystore

pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.anydb]

VERIFIER = Path(__file__).resolve().parents[3] / "verifier"
MAX_INSTALL_BYTES = 60 * 1024 * 1024


def _tree_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def _files(root: Path) -> set[str]:
    return {str(p) for p in root.rglob("*")}


def test_the_wheel_installs_alone_stays_small_and_verifies_a_bundle(built_bundle, identity, keyd_agent, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "CORRIDOR", "VIRTUAL_ENV", "PYTHON"))}
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(VERIFIER)],
                   check=True, env=env, timeout=600, capture_output=True)
    [wheel] = wheels.glob("corridor_verify-*.whl")
    venv = tmp_path / "court"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env, timeout=300)
    before = _tree_size(venv)
    result = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], env=env, timeout=900,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    installed = _tree_size(venv) - before
    assert installed < MAX_INSTALL_BYTES, f"the verifier and its dependencies take {installed} bytes"
    listed = subprocess.run([str(venv / "bin" / "pip"), "list", "--format=freeze"], env=env, check=True,
                            capture_output=True, text=True).stdout
    names = {line.split("==")[0].lower() for line in listed.split()}
    assert names - {"pip", "setuptools"} == {"corridor-verify", "cryptography", "pyrage", "cffi", "pycparser"}

    bundle = tmp_path / "bundle.age"
    shutil.copyfile(storage.path_for(built_bundle.blob), bundle)
    ks = load_keystore(keyd_agent.keystore_path)
    workdir = tmp_path / "empty"
    workdir.mkdir()
    files_before = _files(venv) | _files(tmp_path)
    run = subprocess.run([str(venv / "bin" / "corridor-verify"), "bundle", str(bundle), "--identity",
                          str(identity.path), "--log-key", verifier_key(ks.log_origin, ks.signing_public_key)],
                         env=env, cwd=workdir, timeout=300, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "VERIFIED" in run.stdout and "NOT VERIFIED" not in run.stdout
    assert (_files(venv) | _files(tmp_path)) == files_before  # the tool wrote nothing
    tampered = tmp_path / "tampered.age"
    data = bytearray(bundle.read_bytes())
    data[-20] ^= 1
    tampered.write_bytes(data)
    bad = subprocess.run([str(venv / "bin" / "corridor-verify"), "bundle", str(tampered), "--identity",
                          str(identity.path)], env=env, cwd=workdir, timeout=300, capture_output=True, text=True)
    assert bad.returncode == 1 and "NOT VERIFIED" in bad.stdout
