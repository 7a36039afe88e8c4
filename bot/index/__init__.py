"""The search index of a corpus: views of each entry (views), their vectors (vectors, the one
FAISS module), the words side (lexical), reuse of earlier embeddings (embedding_cache), and the
atomic on-disk builds that hold them (store)."""

from bot.index.store import (
                             FORMAT_VERSION,
                             IndexCorrupt,
                             IndexMismatch,
                             IndexMissing,
                             IndexProblem,
                             LoadedIndex,
                             build_index,
                             build_signature,
                             current_build,
                             load_index,
                             read_manifest,
)
from bot.index.views import View, make_views, split_passages

__all__ = ["FORMAT_VERSION", "IndexCorrupt", "IndexMismatch", "IndexMissing", "IndexProblem", "LoadedIndex", "View",
           "build_index", "build_signature", "current_build", "load_index", "make_views", "read_manifest",
           "split_passages"]
