"""The FAQ corpus: its entries (model), reading and validating corpus files (readers, with the
Markdown format in markdown), and writing them back (writer)."""

from bot.corpus.model import CorpusError, Entry, Problem, normalise_question, slugify
from bot.corpus.readers import SUPPORTED_SUFFIXES, corpus_files, corpus_fingerprint, load_corpus, load_file

__all__ = ["CorpusError", "Entry", "Problem", "SUPPORTED_SUFFIXES", "corpus_files", "corpus_fingerprint",
           "load_corpus", "load_file", "normalise_question", "slugify"]
