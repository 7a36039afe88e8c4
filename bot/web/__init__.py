"""The web side: one FastAPI app (server) with the JSON API, the Gradio chat (chat_ui), source
pages (pages), the widget scripts (static/), HTTP hardening (security) and visitors' feedback
(feedback); plus the sample host page of `faqbot demo-site` (demo_site)."""
