"""Checkpoint download against a local HTTP server on 127.0.0.1 (never the network)."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from samic_core.cli.main import main as samic
from samic_core.errors import DownloadError
from samic_core.sam import weights
from samic_core.sam.weights import download_checkpoint, download_file

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/good.bin":
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD)
        elif self.path == "/cut.bin":  # promises 1 MiB, sends a quarter, then hangs up
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD[: len(PAYLOAD) // 4])
            self.wfile.flush()
            self.connection.shutdown(2)
        else:
            self.send_error(404)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_download_with_matching_checksum(server: str, tmp_path: Path):
    seen: list[tuple[int, int, str]] = []
    dest = download_file(
        f"{server}/good.bin",
        tmp_path / "w.pth",
        hashlib.sha256(PAYLOAD).hexdigest(),
        progress=lambda d, t, n: seen.append((d, t, n)),
        chunk=65536,
    )
    assert dest.read_bytes() == PAYLOAD
    assert seen[0] == (0, len(PAYLOAD), "w.pth") and seen[-1] == (
        len(PAYLOAD),
        len(PAYLOAD),
        "w.pth",
    )
    assert len(seen) > 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.pth"]


def test_checksum_mismatch_leaves_nothing(server: str, tmp_path: Path):
    with pytest.raises(DownloadError, match="checksum mismatch"):
        download_file(f"{server}/good.bin", tmp_path / "w.pth", "0" * 64)
    assert list(tmp_path.iterdir()) == []


def test_server_gone_midway_leaves_nothing(server: str, tmp_path: Path):
    with pytest.raises(DownloadError):
        download_file(f"{server}/cut.bin", tmp_path / "w.pth", hashlib.sha256(PAYLOAD).hexdigest())
    assert list(tmp_path.iterdir()) == []


def test_unreachable_server_says_what_to_do(tmp_path: Path, monkeypatch):
    # a closed port on loopback stands in for "offline"
    with pytest.raises(DownloadError) as e:
        download_checkpoint("vit_b", tmp_path, url="http://127.0.0.1:9/sam_vit_b_01ec64.pth")
    msg = str(e.value)
    assert "could not download" in msg
    assert "--checkpoint PATH" in msg and "sam_vit_b_01ec64.pth" in msg
    assert list(tmp_path.iterdir()) == []


def test_official_checksum_is_enforced(server: str, tmp_path: Path):
    with pytest.raises(DownloadError, match="checksum mismatch"):
        download_checkpoint("vit_b", tmp_path, url=f"{server}/good.bin")
    assert list(tmp_path.iterdir()) == []


def test_download_to_user_cache_and_list(server: str, monkeypatch, capsys):
    info = weights.CheckpointInfo(
        "vit_b", "sam_vit_b_01ec64.pth", len(PAYLOAD), hashlib.sha256(PAYLOAD).hexdigest()
    )
    monkeypatch.setitem(weights.KNOWN_CHECKPOINTS, "vit_b", info)
    assert samic(["weights", "list"]) == 0
    out = capsys.readouterr().out
    assert "sam_vit_b_01ec64.pth" in out and "vit_h" in out
    assert out.splitlines()[1].rstrip().endswith("no")
    assert samic(["weights", "download", "vit_b", "--url", f"{server}/good.bin"]) == 0
    assert info.default_path().read_bytes() == PAYLOAD
    assert capsys.readouterr().out.strip() == str(info.default_path())
    samic(["weights", "list"])
    assert capsys.readouterr().out.splitlines()[1].rstrip().endswith("yes")


def test_cli_download_offline_is_a_clear_error(capsys):
    assert samic(["weights", "download", "vit_b", "--url", "http://127.0.0.1:9/x.pth"]) == 2
    err = capsys.readouterr().err
    assert "error: could not download" in err and "--checkpoint PATH" in err


@pytest.mark.parametrize(
    "memo", ["[" * 100_000 + "]" * 100_000, '{"k": ' + "9" * 5000 + "}", '{"x": 1}', "{"]
)
def test_a_damaged_checkpoint_hash_memo_is_only_a_lost_shortcut(tmp_path, monkeypatch, memo):
    from samic_core.fileio import sha256_file
    from samic_core.sam.checkpoint_id import checkpoint_sha256

    monkeypatch.setenv("SAMIC_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "checkpoint_hashes.json").write_text(memo)
    ckpt = tmp_path / "sam.pth"
    ckpt.write_bytes(b"weights")
    assert checkpoint_sha256(ckpt) == sha256_file(ckpt)
    assert checkpoint_sha256(ckpt) == sha256_file(ckpt)  # now from the rewritten memo


class _FileHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def test_sam2_download_is_kept_only_when_it_is_that_model(tmp_path: Path, monkeypatch):
    """SAM 2.1 files have no published sha256: a download must load as Meta's file of that
    size before it is kept; an error page is discarded, and a bad file already there is
    fetched again rather than kept forever."""
    from functools import partial

    from samic_core.sam.fetch import fetch_checkpoint as download_checkpoint
    from samic_core.testing import make_random_sam2_checkpoint

    served = tmp_path / "served"
    served.mkdir()
    make_random_sam2_checkpoint(served / "sam2.1_hiera_tiny.pt", "sam2.1_hiera_t")
    (served / "page.html").write_text("<html>rate limited</html>")
    handler = partial(_FileHandler, directory=str(served))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    dest = tmp_path / "ckpts"
    try:
        with pytest.raises(DownloadError, match="not the expected file"):
            download_checkpoint("sam2.1_hiera_t", dest, url=f"{url}/page.html")
        assert list(dest.iterdir()) == []
        with pytest.raises(DownloadError, match="not sam2.1_hiera_s"):
            download_checkpoint("sam2.1_hiera_s", dest, url=f"{url}/sam2.1_hiera_tiny.pt")
        (dest / "sam2.1_hiera_tiny.pt").write_text("<html>an earlier bad download</html>")
        got = download_checkpoint("sam2.1_hiera_t", dest, url=f"{url}/sam2.1_hiera_tiny.pt")
        assert got.read_bytes() == (served / "sam2.1_hiera_tiny.pt").read_bytes()
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_auto_finds_a_downloaded_sam2_when_there_is_no_vit_b(tmp_path, tiny_sam2_checkpoint):
    import shutil

    from samic_core.sam.weights import KNOWN_CHECKPOINTS, resolve_checkpoint

    path = KNOWN_CHECKPOINTS["sam2.1_hiera_s"].default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(tiny_sam2_checkpoint, path)
    assert resolve_checkpoint(None, "auto") == path
    vit_b = KNOWN_CHECKPOINTS["vit_b"].default_path()
    vit_b.write_bytes(b"x")
    assert resolve_checkpoint(None, "auto") == vit_b  # vit_b first, as before
