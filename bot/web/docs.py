"""The OpenAPI docs page (/docs) with Swagger UI served from this server, not from a CDN: the
product works offline and its content security policy takes scripts and styles from 'self' only.

Swagger UI's built files (swagger-ui-bundle.js, swagger-ui.css, a favicon) come from the
fastapi-offline package, which ships them as plain files; only its static folder is used here.

The page is our own rather than FastAPI's template, for accessibility (WCAG 2.2 AA, as the chat):
it has a language and a <main> landmark (Swagger UI draws the <h1>); deep links are off (each would put a link inside
an operation's toggle button: nested interactive controls); and a few of Swagger UI's colours
are darkened to reach a 4.5:1 contrast (white on its light green, blue and grey badges); the
request body's textarea of "Try it out" and the copy buttons of a response get names; syntax
highlighting is off (its colours on the dark code blocks are below 4.5:1).
"""

from __future__ import annotations

import json
from html import escape
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
ASSETS_URL = "/docs-assets"
# Each colour at least 4.5:1 against what it is drawn on (white text, or a white or tinted page).
DOCS_STYLE = """
.swagger-ui .opblock.opblock-post .opblock-summary-method { background: #17744a; }
.swagger-ui .opblock.opblock-get .opblock-summary-method { background: #1a5fa8; }
.swagger-ui .opblock.opblock-put .opblock-summary-method { background: #8a4b00; }
.swagger-ui .opblock.opblock-delete .opblock-summary-method { background: #b91c1c; }
.swagger-ui .info .title small { background: #4b5563; }
.swagger-ui .info .title small.version-stamp { background: #3f6212; }
.swagger-ui .info .title small pre, .swagger-ui .info .title small.version-stamp pre { color: #fff; }
.swagger-ui .info a, .swagger-ui .info .url, .swagger-ui a.nostyle, .swagger-ui .info__contact a { color: #1d4ed8; }
.swagger-ui .btn.try-out__btn, .swagger-ui .btn.cancel { color: #1f2937; border-color: #4b5563; }
.swagger-ui .download-contents { background: #4b5563; }
.swagger-ui .btn.execute { background: #1a5fa8; border-color: #1a5fa8; color: #fff; }
.swagger-ui .response-col_status, .swagger-ui .response-col_links, .swagger-ui .parameter__in,
.swagger-ui .parameter__type, .swagger-ui .prop-format, .swagger-ui .renderedMarkdown p,
.swagger-ui table thead tr th, .swagger-ui table thead tr td, .swagger-ui .opblock-description-wrapper p,
.swagger-ui .response-control-media-type__accept-message, .swagger-ui .model-title, .swagger-ui .model,
.swagger-ui .opblock .opblock-section-header h4, .swagger-ui .tab li, .swagger-ui .opblock-summary-description,
.swagger-ui .parameter__name, .swagger-ui .prop-type, .swagger-ui .model .property.primitive { color: #1f2937; }
.swagger-ui .response-control-media-type--accept-controller select { border-color: #15803d; }
.swagger-ui .opblock-tag small, .swagger-ui .json-schema-2020-12-expand-deep-button { color: #374151; }
.swagger-ui *:focus-visible { outline: 3px solid #1d4ed8; outline-offset: 2px; }
"""

# After the config: draws Swagger UI and names the textarea of a request body in "Try it out"
# and the copy buttons of a response (Swagger UI gives them no name).
DOCS_SCRIPT = """config.presets = [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset];
window.ui = SwaggerUIBundle(config);
new MutationObserver(function () {
  document.querySelectorAll("textarea.body-param__text:not([aria-label])").forEach(function (box) {
    box.setAttribute("aria-label", "Request body (JSON)");
  });
  document.querySelectorAll(".copy-to-clipboard button:not([aria-label])").forEach(function (button) {
    button.setAttribute("aria-label", "Copy to clipboard");
  });
}).observe(document.getElementById("swagger-ui"), {subtree: true, childList: true});
"""


def swagger_ui_dir() -> str:
    return str(resources.files("fastapi_offline").joinpath("static"))


def swagger_page(title: str, openapi_url: str, assets: str, parameters: dict) -> str:
    """The docs page: Swagger UI drawn into a <main>, from files under ``assets``."""
    config = {"url": openapi_url, "dom_id": "#swagger-ui", "layout": "BaseLayout", **parameters}
    # As JSON in a script; "<" escaped so that no value can close the script element.
    config_json = json.dumps(config).replace("<", "\\u003c")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" href="{assets}/favicon.png">
<style>{DOCS_STYLE}</style>
</head>
<body>
<main>
<div id="swagger-ui"></div>
</main>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script>
const config = {config_json};
{DOCS_SCRIPT}</script>
</body>
</html>
"""


def install_docs(app: FastAPI, title: str) -> None:
    """Serve Swagger UI's files under /docs-assets/ and the docs page at /docs. Call it before
    anything is mounted at "/", which would otherwise take these paths."""
    app.mount(ASSETS_URL, StaticFiles(directory=swagger_ui_dir()), name="docs-assets")
    # Never show the badge that loads an image from validator.swagger.io (it would leave the machine).
    parameters = {"showExtensions": True, "showCommonExtensions": True, **(app.swagger_ui_parameters or {}),
                  "deepLinking": False, "validatorUrl": None, "syntaxHighlight": False}

    @app.get(DOCS_URL, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return HTMLResponse(swagger_page(title, f"{root}{app.openapi_url}", f"{root}{ASSETS_URL}", parameters))
