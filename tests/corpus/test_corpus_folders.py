"""What a corpus folder holds besides plain files: symlinks (followed, and reported when broken or
looping) and special files such as named pipes (reported, never opened)."""

from __future__ import annotations

import os
import threading

import pytest

from bot.corpus import CorpusError, corpus_files, corpus_fingerprint, load_corpus

ENTRY = "## Q{n}?\nid: q{n}\n\nA{n}.\n"

needs_symlinks = pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="POSIX symlinks")
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")


def problems_of(call, path):
    with pytest.raises(CorpusError) as caught:
        call(path)
    return [str(p) for p in caught.value.problems]


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.md").write_text(ENTRY.format(n=1), encoding="utf-8")
    return folder


@needs_symlinks
def test_a_symlink_to_a_file_is_loaded(corpus, tmp_path):
    (tmp_path / "elsewhere.md").write_text(ENTRY.format(n=2), encoding="utf-8")
    (corpus / "linked.md").symlink_to(tmp_path / "elsewhere.md")
    assert [e.id for e in load_corpus(corpus)] == ["q1", "q2"]


@needs_symlinks
def test_a_symlink_to_a_folder_is_followed(corpus, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "b.md").write_text(ENTRY.format(n=2), encoding="utf-8")
    (corpus / "shared").symlink_to(shared)
    assert corpus_files(corpus) == [corpus / "a.md", corpus / "shared" / "b.md"]


@needs_symlinks
def test_a_dangling_symlink_is_reported(corpus, tmp_path):
    (corpus / "gone.md").symlink_to(tmp_path / "deleted.md")
    expected = f"{corpus / 'gone.md'}:0: broken symlink: its target {str(tmp_path / 'deleted.md')!r} does not exist"
    assert problems_of(load_corpus, corpus) == [expected]
    assert problems_of(corpus_files, corpus) == [expected]


@needs_symlinks
@pytest.mark.parametrize("links", [{"self.md": "self.md"}, {"x.md": "y.md", "y.md": "x.md"}])
def test_a_symlink_loop_is_reported(corpus, links):
    for name, target in links.items():
        (corpus / name).symlink_to(target)
    problems = problems_of(load_corpus, corpus)
    assert problems == [f"{corpus / name}:0: symlink loop: the link leads back to itself; point it at a real "
                        "file or delete it" for name in sorted(links)]


@needs_symlinks
def test_a_folder_link_back_to_its_own_folder_is_a_loop(corpus):
    (corpus / "sub").mkdir()
    (corpus / "sub" / "up").symlink_to("..")
    problems = problems_of(load_corpus, corpus)
    assert problems == [f"{corpus / 'sub' / 'up'}:0: symlink loop: this folder link leads back to "
                        f"{corpus.resolve()}, which contains it; delete the link"]


@needs_fifo
def test_a_named_pipe_is_reported_and_never_opened(corpus):
    os.mkfifo(corpus / "pipe.md")
    # Opening a pipe with no writer blocks forever: run in a thread so a regression fails, not hangs.
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("problems", problems_of(load_corpus, corpus)),
                              daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive():
        with open(corpus / "pipe.md", "w"):  # unblock the reader so the thread can end
            pass
        pytest.fail("the loader opened the named pipe")
    assert result["problems"] == [f"{corpus / 'pipe.md'}:0: not a regular file (a named pipe): corpus files "
                                  "must be ordinary files; it was not opened"]
    assert problems_of(corpus_fingerprint, corpus) == result["problems"]


@needs_fifo
def test_a_named_pipe_given_as_the_corpus_is_reported(tmp_path):
    pipe = tmp_path / "pipe.md"
    os.mkfifo(pipe)
    assert problems_of(load_corpus, pipe) == [f"{pipe}:0: not a regular file (a named pipe): corpus files "
                                              "must be ordinary files; it was not opened"]


@needs_fifo
def test_hidden_names_stay_ignored(corpus, tmp_path):
    os.mkfifo(corpus / "_draft.md")
    os.mkfifo(corpus / ".socket")
    (corpus / ".cache.md").symlink_to(tmp_path / "missing")
    (corpus / "_old").symlink_to("_old")
    (corpus / "README.txt").write_text("Not a corpus file.", encoding="utf-8")
    assert [e.id for e in load_corpus(corpus)] == ["q1"]


@needs_fifo
def test_odd_entries_are_reported_whatever_their_name(corpus, tmp_path):
    # A broken link may have pointed at a folder of corpus files, and a pipe is never something an
    # owner meant to leave in a corpus folder: the name cannot tell us they are irrelevant.
    os.mkfifo(corpus / "notes.pipe")
    (corpus / "shared").symlink_to(tmp_path / "moved-away")
    problems = problems_of(load_corpus, corpus)
    assert [p.split(":0: ")[0] for p in problems] == [str(corpus / "notes.pipe"), str(corpus / "shared")]


def test_problems_from_the_folder_and_the_files_are_reported_together(corpus, tmp_path):
    (corpus / "bad.csv").write_text("question,answer\nQ?,\n", encoding="utf-8")
    if hasattr(os, "mkfifo"):
        os.mkfifo(corpus / "pipe.md")
        expected = 2
    else:  # pragma: no cover
        expected = 1
    assert len(problems_of(load_corpus, corpus)) == expected


def test_an_unreadable_file_is_a_problem_not_a_crash(corpus, monkeypatch):
    # chmod 0 does not stop root (which runs these tests in CI containers), so fail the read itself.
    real_open = open

    def refuse(file, *args, **kwargs):
        if str(file).endswith("a.md"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", refuse)
    monkeypatch.setattr("io.open", refuse)
    assert problems_of(load_corpus, corpus) == [f"{corpus / 'a.md'}:0: cannot read: Permission denied"]


@needs_fifo
def test_load_file_never_opens_a_named_pipe(tmp_path):
    from bot.corpus import load_file

    pipe = tmp_path / "pipe.md"
    os.mkfifo(pipe)
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("loaded", load_file(pipe)), daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive():
        with open(pipe, "w"):
            pass
        pytest.fail("load_file opened the named pipe")
    entries, problems = result["loaded"]
    assert entries == [] and [str(p) for p in problems] == [
        f"{pipe}:0: not a regular file (a named pipe): corpus files must be ordinary files; it was not opened"]


def test_an_unlistable_folder_is_a_problem(corpus, monkeypatch):
    (corpus / "locked").mkdir()
    real_iterdir = type(corpus).iterdir

    def refuse(self):
        if self.name == "locked":
            raise PermissionError(13, "Permission denied", str(self))
        return real_iterdir(self)

    monkeypatch.setattr(type(corpus), "iterdir", refuse)
    assert problems_of(load_corpus, corpus) == [f"{corpus / 'locked'}:0: cannot read this folder: Permission denied"]
