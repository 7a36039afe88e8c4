"""faqbot: a self-hosted FAQ chatbot that answers from a FAQ corpus with citations, offline."""

__version__ = "0.1.0"
