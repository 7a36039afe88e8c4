"""The sample page behind `faqbot demo-site` of an imaginary organisation, served from its own port,
with the chat widget pasted in exactly as a site owner would paste it."""

from __future__ import annotations

import http.server
from html import escape

DEMO_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Northfield Training: project management courses</title>
<style>
  body {{ margin: 0; font-family: Georgia, serif; background: #f7f5f0; color: #222; }}
  header {{ background: #14532d; color: #fff; padding: 1.2rem 2rem; }}
  header h1 {{ margin: 0; font-size: 1.5rem; }}
  nav a {{ color: #d1fae5; margin-right: 1rem; }}
  main {{ display: grid; grid-template-columns: 2fr 1fr; gap: 2rem; padding: 2rem; max-width: 60rem; }}
  aside {{ background: #fff; border: 1px solid #ddd; padding: 1rem; }}
  @media (max-width: 600px) {{ main {{ grid-template-columns: 1fr; }} }}
  footer {{ padding: 1rem 2rem; color: #555; border-top: 1px solid #ddd; }}
</style>
</head>
<body>
<header id="site-header"><h1>Northfield Training</h1>
<nav><a href="#courses">Courses</a><a href="#about">About</a><a href="#contact">Contact</a></nav></header>
<main id="site-main">
  <article id="courses"><h2>Project management courses</h2>
  <p>We run courses for people at every stage of a project career. Questions about qualifications,
  PMO roles or programme management? Use the chat button in the corner: it answers from our FAQ
  and shows where each answer comes from.</p></article>
  <aside id="site-aside"><h3>Next steps</h3><p>Browse the courses, then ask the FAQ assistant.</p></aside>
</main>
<footer id="site-footer">A demo page served by <code>faqbot demo-site</code> from its own port.</footer>
<script src="{bot}/widget.js" async data-title="Ask our FAQ" data-color="#14532d" data-position="right"></script>
</body>
</html>
"""


def demo_page(bot_url: str) -> str:
    return DEMO_PAGE.format(bot=escape(bot_url.rstrip("/"), quote=True))


def demo_server(port: int, bot_url: str) -> http.server.ThreadingHTTPServer:
    """A server of the demo page on 127.0.0.1:``port`` (call ``serve_forever`` on it)."""
    page = demo_page(bot_url).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.split("?")[0] not in ("/", "/index.html"):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):  # quiet: this is a demo, not a log
            pass

    return http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
