"""faqbot: a self-hosted FAQ chatbot that answers from a FAQ corpus with citations, offline."""

# Before any submodule imports transformers, huggingface_hub or gradio: they read the offline
# and telemetry switches at import time, and every way into the package passes through here.
from bot import offline  # noqa: F401,E402

__version__ = "0.2.0"
