"""The fast query path: ONNX encoding verified against torch, no torch import when serving,
and the answer cache."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from bot.config import load_settings
from bot.corpus import corpus_fingerprint, load_corpus
from bot.encoders import onnx_encoder
from bot.encoders.torch_encoder import resolve_model_path
from bot.engine import FAQBot, query_encoder_for
from bot.index import build_index, load_index
from tests.support import DATA, DEFAULT_CORPUS, ROOT, read_jsonl


@pytest.fixture(scope="module")
def onnx_bot(tmp_path_factory, embedder):
    """The default corpus served the way `faqbot serve` does: with the ONNX query encoder."""
    settings = load_settings(corpus=DEFAULT_CORPUS, index_dir=tmp_path_factory.mktemp("onnx-index"))
    build_index(load_corpus(settings.corpus), settings, embedder, corpus_fingerprint(settings.corpus), progress=False)
    index = load_index(settings.index_path)
    encoder = query_encoder_for(settings, index, lambda: embedder, log=print)
    return FAQBot(settings, encoder, index)


def test_onnx_encoder_matches_torch_on_visitor_questions(onnx_bot, embedder):
    assert isinstance(onnx_bot.encoder, onnx_encoder.OnnxEncoder)
    questions = [r["question"] for r in read_jsonl(DATA / "visitor_questions.jsonl")]
    fast = np.stack([onnx_bot.encoder.encode_query(q) for q in questions])
    reference = embedder.encode(questions)
    cosines = (fast * reference).sum(axis=1)
    assert cosines.min() >= 0.999, cosines.min()


def test_onnx_and_torch_paths_give_the_same_answers(onnx_bot, default_bot):
    for row in read_jsonl(DATA / "visitor_questions.jsonl")[:40]:
        fast, slow = onnx_bot.ask(row["question"]), default_bot.ask(row["question"])
        assert [c.id for c in fast.citations] == [c.id for c in slow.citations]
        assert fast.answered == slow.answered and abs(fast.confidence - slow.confidence) < 0.01


def test_an_export_that_does_not_verify_is_not_used(onnx_bot, embedder, tmp_path):
    folder = onnx_encoder.export_folder(onnx_bot.settings.exports_path, onnx_bot.settings.model)
    model_path = resolve_model_path(onnx_bot.settings.model)
    copy = tmp_path / "onnx"
    shutil.copytree(folder, copy)
    record = json.loads((copy / onnx_encoder.CHECK_FILE).read_text())
    assert onnx_encoder.load_verified(copy, model_path, onnx_bot.settings.model) is not None
    (copy / onnx_encoder.CHECK_FILE).write_text(json.dumps({**record, "ok": False, "min_cosine": 0.9}))
    assert onnx_encoder.load_verified(copy, model_path, onnx_bot.settings.model) is None
    (copy / onnx_encoder.CHECK_FILE).write_text(json.dumps({**record, "model_files": [["other", 1, 1]]}))
    assert onnx_encoder.load_verified(copy, model_path, onnx_bot.settings.model) is None
    torch_only = load_settings(corpus=DEFAULT_CORPUS, index_dir=onnx_bot.settings.index_path, query_encoder="torch")
    assert query_encoder_for(torch_only, onnx_bot.index, lambda: embedder) is embedder


def test_serving_a_question_never_imports_torch(onnx_bot):
    # `faqbot ask` on a built index with a verified export: the whole query path without torch.
    code = ("import sys; from bot.cli import main; code = main(sys.argv[1:]); "
            "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules, 'torch imported'; "
            "sys.exit(code)")
    result = subprocess.run([sys.executable, "-c", code, "ask", "pmo salary?", "--json",
                             "--index", str(onnx_bot.settings.index_path)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["citations"][0]["id"] == "pmo-pay"


def test_repeated_questions_come_from_the_cache(onnx_bot):
    first = onnx_bot.ask("Is PMO an admin job?")
    again = onnx_bot.ask("is pmo an ADMIN job?")
    assert again.citations is first.citations  # the same answer object's parts: not recomputed
    assert again.question == "is pmo an ADMIN job?"
    assert onnx_bot.ask("Is PMO an admin job?", top_k=1).suggestions == []  # top_k is part of the key


def test_the_export_embeds_documents_in_batches_like_torch(onnx_bot, embedder):
    texts = [v.text for v in onnx_bot.index.views]
    batched = onnx_bot.encoder.encode(texts, batch_size=16)
    reference = embedder.encode(texts)
    assert batched.shape == reference.shape
    assert float((batched * reference).sum(axis=1).min()) >= 0.999
    assert onnx_bot.encoder.name == embedder.name and onnx_bot.encoder.dimension == embedder.dimension


def test_an_export_checked_before_batches_were_is_made_again(onnx_bot, tmp_path):
    folder = onnx_encoder.export_folder(onnx_bot.settings.exports_path, onnx_bot.settings.model)
    model_path = resolve_model_path(onnx_bot.settings.model)
    copy = tmp_path / "old-export"
    shutil.copytree(folder, copy)
    record = json.loads((copy / onnx_encoder.CHECK_FILE).read_text())
    assert record["checks"] == ["queries", "batches"]
    assert onnx_encoder.load_verified(copy, model_path, onnx_bot.settings.model) is not None
    record.pop("checks")  # an export made before batches were checked
    (copy / onnx_encoder.CHECK_FILE).write_text(json.dumps(record))
    assert onnx_encoder.load_verified(copy, model_path, onnx_bot.settings.model) is None


def test_rebuilding_after_an_edit_needs_no_torch(onnx_bot, tmp_path):
    corpus = tmp_path / "shop.md"
    corpus.write_text("# Shop\n\n## When do you open?\n\nAt nine.\n\n## Do you deliver?\n\nYes, in Europe.\n")
    index = tmp_path / "idx"
    code = ("import sys; from bot.cli import main; code = main(sys.argv[1:]); "
            "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules, 'torch imported'; "
            "sys.exit(code)")

    def index_without_torch():
        result = subprocess.run([sys.executable, "-c", code, "index", "--corpus", str(corpus), "--index", str(index)],
                                cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return json.loads((index / "builds" / (index / "current").read_text().strip() / "manifest.json").read_text())

    assert index_without_torch()["views_embedded"] == 4  # the export (made by onnx_bot) built it all
    corpus.write_text(corpus.read_text().replace("At nine.", "At half past eight."))
    manifest = index_without_torch()
    assert (manifest["views_embedded"], manifest["views_reused"]) == (1, 3)
