"""A damaged index is refused with "index damaged ... run `faqbot index`", never loaded half
right or with a traceback: every file of a build is checked against the size and SHA-256 its
manifest recorded, and the vectors against the unit length every embedding has. One real build
per module; each case damages a copy of it."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from bot.cli import main
from bot.index import (
    FORMAT_VERSION,
    IndexCorrupt,
    IndexMismatch,
    IndexMissing,
    current_build,
    load_index,
)
from tests.index.shop import build, make_shop

FILES = ["vectors.faiss", "entries.json", "views.json", "lexical/names.json", "lexical/bm25/params.index.json",
         "lexical/bm25/vocab.index.json", "lexical/bm25/data.csc.index.npy", "lexical/presence/indptr.csc.index.npy"]


@pytest.fixture(scope="module")
def built(tmp_path_factory, embedder):
    settings = make_shop(tmp_path_factory.mktemp("integrity"))
    build(settings, embedder)
    return settings


@pytest.fixture
def index(built, tmp_path):
    """A fresh copy of the module's index: (its folder, its current build)."""
    root = tmp_path / "index"
    shutil.copytree(built.index_path, root)
    return root, current_build(root)


def edit_manifest(build, **changes):
    manifest = json.loads((build / "manifest.json").read_text())
    manifest.update(changes)
    (build / "manifest.json").write_text(json.dumps(manifest))


def rerecord(build):
    """Make the manifest's checksums match the files again: damage a checksum cannot see."""
    from bot.index.integrity import file_records

    edit_manifest(build, files=file_records(build))


def file_records_of(build):
    return json.loads((build / "manifest.json").read_text())["files"]


def truncate(name):
    def damage(build):
        path = build / name
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return damage


def flip(name):
    def damage(build):
        data = bytearray((build / name).read_bytes())
        data[len(data) // 2] ^= 0xFF
        (build / name).write_bytes(bytes(data))
    return damage


def delete(name):
    return lambda build: (build / name).unlink()


def set_vectors(value, rows=slice(None), keep_checksums=False):
    """Overwrite stored vectors in place; a flat FAISS file ends with its float32 vectors."""
    def damage(build):
        manifest = json.loads((build / "manifest.json").read_text())
        count, dim = manifest["views"], manifest["dimension"]
        data = bytearray((build / "vectors.faiss").read_bytes())
        start = len(data) - count * dim * 4
        vectors = np.frombuffer(bytes(data[start:]), dtype=np.float32).reshape(count, dim).copy()
        vectors[rows] = value
        data[start:] = vectors.tobytes()
        (build / "vectors.faiss").write_bytes(bytes(data))
        if keep_checksums:
            rerecord(build)
    return damage


def write(name, text, keep_checksums=True):
    def damage(build):
        (build / name).write_bytes(text if isinstance(text, bytes) else text.encode())
        if keep_checksums:
            rerecord(build)
    return damage


def write_pointer(text):
    return lambda build: (build.parent.parent / "current").write_bytes(text)


CORRUPT = {
    **{f"truncated {name}": truncate(name) for name in FILES},
    **{f"flipped byte in {name}": flip(name) for name in FILES},
    **{f"deleted {name}": delete(name) for name in FILES},
    "vectors zeroed": set_vectors(0.0),
    "vectors zeroed, checksums re-recorded": set_vectors(0.0, keep_checksums=True),
    "one vector NaN, checksums re-recorded": set_vectors(np.nan, rows=3, keep_checksums=True),
    "one vector doubled, checksums re-recorded": set_vectors(0.1, rows=1, keep_checksums=True),
    "entries.json garbage": write("entries.json", "{not json"),
    "entries.json an object": write("entries.json", '{"id": "hours"}'),
    "entries.json a list of numbers": write("entries.json", "[1, 2]"),
    "entries.json nested too deep": write("entries.json", "[" * 100_000 + "]" * 100_000),
    "entries.json not UTF-8": write("entries.json", b"\xff\xfe[]"),
    "views.json rows of the wrong shape": write("views.json", '[[0], [1, "q"], [7, "q", "x"], 5, null]'),
    "views.json pointing at no entry": write("views.json", json.dumps([[9, "q", "x"]] * 5)),
    "lexical names not a dict": write("lexical/names.json", "[1]"),
    "lexical params empty": write("lexical/bm25/params.index.json", "{}"),
    "manifest garbage": write("manifest.json", "}{", keep_checksums=False),
    "manifest a list": write("manifest.json", "[]", keep_checksums=False),
    "manifest not UTF-8": write("manifest.json", b'{"a": "\xff"}', keep_checksums=False),
    "manifest without file checksums": lambda build: edit_manifest(build, files=None),
    "manifest without the vectors' checksum": lambda build: edit_manifest(
        build, files={k: v for k, v in file_records_of(build).items() if k != "vectors.faiss"}),
    "manifest with a wrong entry count": lambda build: edit_manifest(build, entries=3),
    "manifest file list naming a file outside": lambda build: edit_manifest(
        build, files={"../../../etc/passwd": {"bytes": 1, "sha256": "0"}}),
    "current names a missing build": write_pointer(b"20000101T000000000000-deadbeef\n"),
    "current names a folder outside": write_pointer(b"../../..\n"),
    "current is empty": write_pointer(b""),
    "current is not UTF-8": write_pointer(b"\xff\xfe\x00\n"),
    "build folder deleted": lambda build: shutil.rmtree(build),
}


@pytest.mark.parametrize("damage", CORRUPT.values(), ids=CORRUPT.keys())
def test_damaged_index_is_refused_with_a_fix(index, damage):
    root, build_folder = index
    damage(build_folder)
    with pytest.raises(IndexCorrupt, match=r"index .*damaged.*run `faqbot index`") as caught:
        load_index(root)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 600


@pytest.mark.parametrize("case", ["vectors zeroed, checksums re-recorded", "flipped byte in vectors.faiss",
                                  "deleted views.json", "entries.json nested too deep", "manifest not UTF-8",
                                  "manifest a list", "current is not UTF-8", "build folder deleted"])
def test_cli_ask_on_a_damaged_index_says_so_in_one_line(index, built, case, capsys):
    root, build_folder = index
    CORRUPT[case](build_folder)
    assert main(["ask", "When are you open?", "--corpus", str(built.corpus), "--index", str(root)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: index") and "damaged" in lines[0]
    assert "faqbot index" in lines[0]


def test_index_of_the_previous_format_says_run_faqbot_index(index):
    root, build_folder = index
    edit_manifest(build_folder, format_version=FORMAT_VERSION - 1, files=None)
    with pytest.raises(IndexMismatch, match="run `faqbot index`"):
        load_index(root)


def test_index_without_a_current_pointer_is_missing(index):
    root, _ = index
    (root / "current").unlink()
    with pytest.raises(IndexMissing, match="run `faqbot index`"):
        load_index(root)


def test_undamaged_copy_loads_and_every_file_is_recorded(index):
    root, build_folder = index
    loaded = load_index(root)
    recorded = loaded.manifest["files"]
    assert set(FILES) <= set(recorded) and "manifest.json" not in recorded
    assert all(r["bytes"] == (build_folder / name).stat().st_size and len(r["sha256"]) == 64
               for name, r in recorded.items())


def test_large_files_are_checked_by_size_and_an_even_sample(tmp_path, monkeypatch):
    from bot.index import integrity

    monkeypatch.setattr(integrity, "FULL_CHECK_BYTES", 1 << 20)
    data = np.random.default_rng(0).bytes(8 << 20)
    (tmp_path / "big.bin").write_bytes(data)
    records = integrity.file_records(tmp_path)
    assert "sample_sha256" in records["big.bin"] and integrity.file_damage(tmp_path, records) is None
    # Any overwritten stretch longer than the gap between sampled chunks (~130 KiB here) is seen.
    (tmp_path / "big.bin").write_bytes(data[: 5 << 20] + bytes(200 << 10) + data[(5 << 20) + (200 << 10):])
    assert "checksum differs" in integrity.file_damage(tmp_path, records)
    (tmp_path / "big.bin").write_bytes(data[:-1])
    assert "bytes where" in integrity.file_damage(tmp_path, records)


def test_vectors_of_an_ivf_index_are_checked_on_a_sample():
    from bot.index.integrity import vector_damage
    from bot.index.vectors import VectorIndex

    vectors = np.random.default_rng(0).normal(size=(1000, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ivf = VectorIndex.build(vectors, ann_min_views=10, ivf_nprobe=4)
    assert ivf.params["type"] == "ivf_flat" and vector_damage(ivf.stored_vectors()) is None
    vectors[[0, 999]] = 0.0  # the first and last rows are always in the sample
    assert "2 stored vector(s)" in vector_damage(VectorIndex.build(vectors, 10, 4).stored_vectors())
