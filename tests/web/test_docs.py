"""The OpenAPI docs page (/docs): Swagger UI served from this server (bot/web/docs.py), checked
in-process through Starlette's TestClient and in headless Chromium against the real
`faqbot serve`, behind a network guard."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from bot.engine import FAQBot
from bot.web.feedback import FeedbackStore
from bot.web.server import build_app
from tests.support import SHOP_CORPUS

# Every operation of the JSON API, as Swagger UI shows it.
API_PATHS = ("/api/ask", "/api/feedback", "/api/health", "/api/reload")


# --- in-process ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(default_bot, tmp_path_factory):
    data = tmp_path_factory.mktemp("docs-data")
    bot = FAQBot(default_bot.settings.replace(data_dir=data), default_bot.encoder, default_bot.index)
    return TestClient(build_app(bot, FeedbackStore(data)), base_url="http://127.0.0.1:7860")


def test_docs_page_references_only_local_assets(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    html = response.text
    assert "SwaggerUIBundle(" in html
    links = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert "/docs-assets/swagger-ui-bundle.js" in links and "/docs-assets/swagger-ui.css" in links
    assert all(link.startswith("/") and not link.startswith("//") for link in links), links
    assert "http://" not in html and "https://" not in html and "cdn" not in html.lower()
    assert '"url": "/openapi.json"' in html and '<html lang="en">' in html
    assert '<main>\n<div id="swagger-ui"></div>\n</main>' in html  # the page's content in a landmark
    # No deep links (a link inside each operation's toggle button) and no syntax colours below 4.5:1.
    assert '"deepLinking": false' in html and '"syntaxHighlight": false' in html
    assert '"validatorUrl": null' in html  # no badge image from validator.swagger.io


def test_docs_assets_are_served_with_their_types(client):
    script = client.get("/docs-assets/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "SwaggerUIBundle" in script.text
    style = client.get("/docs-assets/swagger-ui.css")
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    icon = client.get("/docs-assets/favicon.png")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/png"
    assert client.get("/docs-assets/missing.js").status_code == 404


def test_openapi_schema_lists_the_api_but_not_the_docs(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert set(API_PATHS) <= set(paths)
    assert not any(path.startswith(("/docs", "/redoc")) for path in paths)


# --- in a real browser ---------------------------------------------------------------------


@pytest.mark.browser
def test_docs_render_in_chromium_without_leaving_the_machine(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    from tests.support.browser import NetworkGuard, launch_chromium, running_bot

    corpus = tmp_path / "shop.md"
    corpus.write_text(SHOP_CORPUS, encoding="utf-8")
    with running_bot(tmp_path / "bot", corpus) as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            context = browser.new_context()
            context.set_default_timeout(20_000)
            guard = NetworkGuard(context)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda message: errors.append(message.text)
                    if message.type == "error" else None)

            response = page.goto(server.url + "/docs")
            assert response is not None and response.status == 200
            operations = page.locator(".opblock")
            for path in API_PATHS:
                expect(operations.filter(has_text=path).first).to_be_visible()
            expect(page.locator(".info .title")).to_contain_text("API")

            # Open one operation: Swagger's own icons and layout must work under the policy too.
            operations.filter(has_text="/api/health").first.locator(".opblock-summary").click()
            expect(page.locator(".opblock.is-open")).to_have_count(1)
            page.wait_for_load_state("networkidle")
            context.close()
        finally:
            browser.close()

        assert guard.foreign() == [], f"requests left this machine: {guard.foreign()}"
        assert any(url.endswith("/docs-assets/swagger-ui-bundle.js") for url in guard.requested)
        assert any(url.endswith("/openapi.json") for url in guard.requested)
        assert errors == [], f"errors in the page (CSP violations show here): {errors}"
        assert server.network_attempts() == ""
