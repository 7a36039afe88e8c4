"""Keep every library we use from reaching the internet.

Must run before transformers, huggingface_hub, sentence-transformers or gradio are imported:
they read these variables at import time (hub look-ups, telemetry, Gradio's analytics ping).
"""

import os

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_DATASETS_OFFLINE": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "DO_NOT_TRACK": "1",
    # Quiets a fork warning from the tokenizers library when the web server forks.
    "TOKENIZERS_PARALLELISM": "false",
}


def enforce() -> None:
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


enforce()
