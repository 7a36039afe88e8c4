"""What `faqbot info` reports: the version, and the corpus, index, data, config and model this
configuration uses, read from files only (no model is loaded)."""

from __future__ import annotations

import sys
from pathlib import Path

from bot import __version__, paths
from bot.config import Settings
from bot.errors import UserError


def describe(settings: Settings) -> dict[str, str]:
    from bot.decision import decision_in_force
    from bot.encoders import onnx_encoder
    from bot.encoders.torch_encoder import resolve_model_path
    from bot.index import read_manifest

    root = paths.checkout_root()
    try:
        manifest = read_manifest(settings.index_path)
    except UserError as exc:
        manifest, index_state = None, f"damaged ({exc})"
    else:
        index_state = "not built yet (built on first use, or by `faqbot index`)"
    if manifest is not None:
        index_state = (f"{manifest.get('entries')} entries, {manifest.get('views')} views, "
                       f"built {manifest.get('built_at')}")
    try:
        model_path = str(resolve_model_path(settings.model))
        export = onnx_encoder.export_folder(settings.exports_path, settings.model)
        record = onnx_encoder.verified_record(export, resolve_model_path(settings.model), settings.model)
    except UserError as exc:
        model_path, record, export = f"unavailable ({exc})", None, None
    if settings.query_encoder == "torch":
        encoder = "torch (sentence-transformers), as configured"
    elif record is not None:
        encoder = f"ONNX Runtime, export verified against torch (min cosine {record['min_cosine']}) at {export}"
    else:
        encoder = f"ONNX Runtime once exported (done on first use, into {settings.exports_path}); torch until then"
    feedback = _feedback_rows(settings.data_path / "feedback.sqlite3")
    return {
        "version": __version__,
        "python": sys.version.split()[0],
        "running from": f"a checkout at {root}" if root else f"an installed package at {paths.PACKAGE_DIR}",
        "config file": str(settings.config_file) if settings.config_file else
        "none (looked for: $FAQBOT_CONFIG, " + ", ".join(str(p) for p in paths.config_candidates(Path.cwd())) + ")",
        "corpus": str(settings.corpus) + (" (the default FAQ)" if settings.corpus_key == "default" else ""),
        "home": str(settings.home),
        "index": f"{settings.index_path}: {index_state}",
        "data": f"{settings.data_path} (feedback: {feedback})",
        "model": f"{settings.model} at {model_path}",
        "query encoder": encoder,
        "retriever": settings.retriever,
        "answer or decline": decision_in_force(settings, manifest),
    }



def _feedback_rows(path: Path) -> str:
    """How many votes and unanswered questions are stored, read without creating anything."""
    import sqlite3

    if not path.is_file():
        return "none yet"
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            count = db.execute("SELECT count(*) FROM feedback").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error as exc:
        return f"unreadable ({exc})"
    return f"{count} row(s)" if count else "none yet"
