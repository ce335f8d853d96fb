"""The compress tasks in-process: archives and compressed files round trip, bad input fails."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from plugin_context import run_task

from orchestrator.storage import LocalStorage
from plugins.compress import CompressError

C = "io.kestra.plugin.compress."


def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "storage")


def stored(tmp_path: Path, name: str, data: bytes) -> str:
    return storage(tmp_path).put(f"company/{name}", data)


@pytest.mark.parametrize(
    ("algorithm", "compression"),
    [
        ("ZIP", None),
        ("JAR", None),
        ("TAR", None),
        ("TAR", "GZIP"),
        ("TAR", "BZIP2"),
        ("TAR", "XZ"),
        ("ZIP", "LZMA"),
        ("TAR", "DEFLATE"),
    ],
)
def test_archives_round_trip(tmp_path: Path, algorithm: str, compression: str | None) -> None:
    files = {"a.csv": b"id\n1\n", "data/b.bin": bytes(range(256)) * 100}
    sources = {name: stored(tmp_path, name.replace("/", "-"), data) for name, data in files.items()}
    options: dict[str, Any] = {"algorithm": algorithm}
    if compression:
        options["compression"] = compression
    archive = run_task({"type": C + "ArchiveCompress", "from": sources, **options}, tmp_path)
    extracted = run_task(
        {"type": C + "ArchiveDecompress", "from": archive["uri"], **options}, tmp_path
    )["files"]
    assert set(extracted) == set(files)
    assert {name: storage(tmp_path).get(uri) for name, uri in extracted.items()} == files


def test_a_tar_gz_is_what_tar_reads(tmp_path: Path) -> None:
    source = stored(tmp_path, "a.txt", b"hello")
    archive = run_task(
        {
            "type": C + "ArchiveCompress",
            "from": {"x/a.txt": source},
            "algorithm": "TAR",
            "compression": "GZIP",
        },
        tmp_path,
    )["uri"]
    assert archive.endswith(".tar.gz")
    with tarfile.open(fileobj=io.BytesIO(storage(tmp_path).get(archive)), mode="r:gz") as tar:
        assert tar.extractfile("x/a.txt").read() == b"hello"  # type: ignore[union-attr]


def test_a_zip_made_elsewhere_with_folders_is_extracted(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("folder/", b"")
        archive.writestr("folder/2024-divvy-tripdata.csv", b"a,b\n")
    uri = stored(tmp_path, "trips.zip", buffer.getvalue())
    files = run_task({"type": C + "ArchiveDecompress", "from": uri, "algorithm": "ZIP"}, tmp_path)[
        "files"
    ]
    assert list(files) == ["folder/2024-divvy-tripdata.csv"]
    assert storage(tmp_path).get(files["folder/2024-divvy-tripdata.csv"]) == b"a,b\n"


@pytest.mark.parametrize("compression", ["GZIP", "BZIP2", "XZ", "LZMA", "DEFLATE"])
def test_files_round_trip(tmp_path: Path, compression: str) -> None:
    data = b"line\n" * 10_000
    source = stored(tmp_path, "big.txt", data)
    packed = run_task(
        {"type": C + "FileCompress", "from": source, "compression": compression}, tmp_path
    )["uri"]
    assert len(storage(tmp_path).get(packed)) < len(data) / 10
    unpacked = run_task(
        {"type": C + "FileDecompress", "from": packed, "compression": compression}, tmp_path
    )["uri"]
    assert unpacked.endswith("/big.txt") and storage(tmp_path).get(unpacked) == data


def test_unsafe_member_names_and_corrupt_archives_fail_clearly(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../escape.txt", b"x")
    evil = stored(tmp_path, "evil.zip", buffer.getvalue())
    with pytest.raises(CompressError, match=r"member '../../escape.txt' has an unsafe name"):
        run_task({"type": C + "ArchiveDecompress", "from": evil, "algorithm": "ZIP"}, tmp_path)
    junk = stored(tmp_path, "junk.zip", b"not an archive")
    with pytest.raises(CompressError, match=r"task 't' .*junk.zip is not a ZIP archive"):
        run_task({"type": C + "ArchiveDecompress", "from": junk, "algorithm": "ZIP"}, tmp_path)
    with pytest.raises(CompressError, match=r"is not a TAR archive compressed with GZIP"):
        run_task(
            {
                "type": C + "ArchiveDecompress",
                "from": junk,
                "algorithm": "TAR",
                "compression": "GZIP",
            },
            tmp_path,
        )
    with pytest.raises(CompressError, match=r"junk.zip is not BZIP2 data"):
        run_task({"type": C + "FileDecompress", "from": junk, "compression": "BZIP2"}, tmp_path)


def test_formats_kestrel_lacks_fail_naming_the_supported_ones(tmp_path: Path) -> None:
    source = stored(tmp_path, "a.txt", b"a")
    with pytest.raises(CompressError, match=r"compression ZSTD is not supported .*GZIP"):
        run_task({"type": C + "FileCompress", "from": source, "compression": "ZSTD"}, tmp_path)
    with pytest.raises(CompressError, match=r"archive algorithm SEVENZ is not supported"):
        run_task(
            {"type": C + "ArchiveCompress", "from": {"a": source}, "algorithm": "SEVENZ"}, tmp_path
        )
    with pytest.raises(CompressError, match=r"cannot read kestrel://company/none"):
        run_task(
            {"type": C + "FileCompress", "from": "kestrel://company/none", "compression": "GZIP"},
            tmp_path,
        )
