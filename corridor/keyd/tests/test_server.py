from __future__ import annotations

import io
import json
import os
import shutil
import socket
import stat
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from corridor.keyd.agent import Agent
from corridor.keyd.errors import BadRequest, KeydUnavailable
from corridor.keyd.keystore import load_keystore
from corridor.keyd.protocol import MAX_FRAME, encode_frame, read_body, read_frame
from corridor.keyd.server import KeydServer, check_socket_dir, peer_allowed, peer_credentials
from corridor.keyd.testing import RunningAgent, running_agent


@pytest.fixture
def sock_dir() -> Iterator[str]:
    d = tempfile.mkdtemp(prefix="kd", dir="/tmp")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _raw(path: str) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    return s


def test_socket_is_private(kd: RunningAgent) -> None:
    assert stat.S_IMODE(os.stat(kd.socket_path).st_mode) == 0o600
    assert stat.S_ISSOCK(os.stat(kd.socket_path).st_mode)


def test_peer_check_function() -> None:
    assert peer_allowed(1000, {1000, 1001})
    assert not peer_allowed(0, {1000})
    a, b = socket.socketpair(socket.AF_UNIX)
    try:
        pid, uid, gid = peer_credentials(a)
        assert (pid, uid, gid) == (os.getpid(), os.getuid(), os.getgid())
    finally:
        a.close()
        b.close()


def test_connection_from_a_uid_not_allowed_is_closed_unanswered(tmp_path: Path) -> None:
    with running_agent(tmp_path, allow_uids={os.getuid() + 4242}) as kd:
        # Depending on timing the client sees the hang-up as a closed connection or a
        # broken pipe; either way it gets nothing.
        with pytest.raises(KeydUnavailable):
            kd.client.status()
        with pytest.raises(KeydUnavailable):
            kd.client.unwrap("w", [(b"\x00" * 60, b"case:1", 1)])
        raw = _raw(kd.socket_path)
        try:
            raw.sendall(encode_frame({"op": "public_key"}))
            answer = raw.recv(100)
        except (BrokenPipeError, ConnectionResetError):
            answer = b""
        finally:
            raw.close()
        assert answer == b""  # not even the public key
        assert not kd.agent.sealed  # the in-process agent is fine, just unreachable


def test_oversized_frame_is_refused_without_reading_or_allocating_it() -> None:
    class Recorder(io.BytesIO):
        def __init__(self, data: bytes) -> None:
            super().__init__(data)
            self.asked: list[int] = []

        def read(self, n: int = -1) -> bytes:
            self.asked.append(n)
            return super().read(n)

    reader = Recorder(struct.pack(">I", 0xFFFFFFFF) + b"{}")
    with pytest.raises(BadRequest, match="exceeds"):
        read_body(reader)
    assert reader.asked == [4]
    reader = Recorder(struct.pack(">I", MAX_FRAME + 1))
    with pytest.raises(BadRequest):
        read_frame(reader)
    with pytest.raises(BadRequest, match="exceeds"):
        encode_frame({"values": "x" * MAX_FRAME})


def test_server_answers_an_oversized_header_with_an_error_and_hangs_up(kd: RunningAgent) -> None:
    raw = _raw(kd.socket_path)
    raw.sendall(struct.pack(">I", 2**31))
    response = read_frame(raw.makefile("rb"))
    assert response is not None and response["error"] == "bad_request"
    assert raw.recv(10) == b""
    raw.close()
    assert kd.client.status()["sealed"] is False  # other connections unaffected


def test_malformed_json_is_a_bad_request_and_the_connection_survives(kd: RunningAgent) -> None:
    raw = _raw(kd.socket_path)
    rfile = raw.makefile("rb")
    for body in (b"{not json", b"[1,2]", b"\xff\xfe"):
        raw.sendall(struct.pack(">I", len(body)) + body)
        assert read_frame(rfile)["error"] == "bad_request"  # type: ignore[index]
    raw.sendall(encode_frame({"op": "status"}))
    assert read_frame(rfile)["ok"] is True  # type: ignore[index]
    raw.close()


def test_many_requests_share_one_persistent_connection(kd: RunningAgent) -> None:
    for _ in range(50):
        kd.client.status()
    assert len(kd.client._all) == 1


def test_world_writable_socket_directory_is_refused(sock_dir: str) -> None:
    os.chmod(sock_dir, 0o777)
    with pytest.raises(ValueError, match="world-writable"):
        check_socket_dir(os.path.join(sock_dir, "s"))
    with pytest.raises(ValueError, match="world-writable"):
        check_socket_dir("/tmp/keyd.sock")


def test_stale_socket_is_replaced_but_a_live_one_or_a_file_is_not(kd: RunningAgent, sock_dir: str) -> None:
    agent = Agent(load_keystore(kd.keystore_path))
    with pytest.raises(ValueError, match="already listening"):
        KeydServer(kd.socket_path, agent)
    stale = os.path.join(sock_dir, "s")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(stale)
    s.close()  # bound, never listened: like a crashed keyd
    server = KeydServer(stale, agent)
    server.shutdown()
    assert not os.path.exists(stale)
    regular = os.path.join(sock_dir, "f")
    Path(regular).write_text("do not delete")
    with pytest.raises(ValueError, match="not a socket"):
        KeydServer(regular, agent)
    assert Path(regular).read_text() == "do not delete"


def test_client_reports_a_missing_socket_as_unavailable(sock_dir: str) -> None:
    from corridor.keyd.client import KeydClient

    with pytest.raises(KeydUnavailable):
        KeydClient(os.path.join(sock_dir, "missing")).status()


def test_client_reconnects_once_after_keyd_restarts(kd: RunningAgent) -> None:
    assert kd.client.status()["sealed"] is False
    kd.server.shutdown()
    with pytest.raises(KeydUnavailable):
        kd.client.status()
    agent = Agent(load_keystore(kd.keystore_path))
    server = KeydServer(kd.socket_path, agent)
    server.start()
    try:
        assert kd.client.status()["sealed"] is True  # a new process starts sealed
    finally:
        server.shutdown()


def test_a_forked_child_never_reuses_the_parents_connection(kd: RunningAgent) -> None:
    v, [w] = kd.client.wrap("w", [(b"k" * 32, b"case:1")])
    kd.client.status()
    parent_conn = kd.client._local.conn
    r, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.close(r)
            ok = kd.client._get() is not parent_conn and kd.client.unwrap("c", [(w, b"case:1", v)]) == [b"k" * 32]
            os.write(wfd, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(wfd)
    assert os.read(r, 1) == b"1"
    os.close(r)
    os.waitpid(pid, 0)
    assert kd.client._local.conn is parent_conn
    assert kd.client.unwrap("p", [(w, b"case:1", v)]) == [b"k" * 32]


def test_internal_errors_do_not_leak_details(kd: RunningAgent, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(req: object, uid: object) -> dict:
        raise RuntimeError("secret detail")

    monkeypatch.setitem(kd.agent._ops, "status", boom)
    raw = _raw(kd.socket_path)
    raw.sendall(encode_frame({"op": "status"}))
    response = read_frame(raw.makefile("rb"))
    raw.close()
    assert response == {"ok": False, "error": "internal", "message": "internal error in keyd"}
    assert "secret" not in json.dumps(response)
