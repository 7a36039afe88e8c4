"""Follow the corpus while serving: when a corpus file changes, rebuild the index incrementally
(only changed texts are embedded, with the bot's own encoder: the verified ONNX export, so no
torch) and swap the new build in. An edit that does not load is reported (log, /api/health)
and the last good build keeps answering until the file is fixed."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.corpus import CorpusError, corpus_fingerprint, load_corpus
from bot.engine import FAQBot
from bot.index import build_index

log = logging.getLogger("faqbot")


@dataclass
class CorpusWatch:
    bot: FAQBot
    # The fingerprint of a corpus that did not load, so the same mistake is reported once.
    failed: str | None = None

    def check(self) -> str | None:
        """Rebuild if the corpus changed since the served build. Returns what happened: None
        (nothing changed), "rebuilt", or "stale" (the changed corpus does not load)."""
        settings = self.bot.settings
        fingerprint = corpus_fingerprint(settings.corpus)
        if fingerprint in (self.bot.index.manifest.get("corpus_fingerprint"), self.failed):
            return None
        try:
            entries = load_corpus(settings.corpus, settings.duplicate_questions)
        except CorpusError as exc:
            self.failed = fingerprint
            self.bot.mark_stale(exc)
            log.warning(self.bot.index_status.warning(settings.corpus, self.bot.index.manifest.get("built_at")))
            return "stale"
        self.failed = None
        build_index(entries, settings, self.bot.encoder, fingerprint, progress=False)
        self.bot.reload()
        manifest = self.bot.index.manifest
        log.info(f"The corpus changed: rebuilt the index ({manifest['views_embedded']} of {manifest['views']} "
                 f"views embedded) and now answer from it.")
        return "rebuilt"
