"""The OpenAPI docs page (/docs) with Swagger UI served from this server, not from a CDN: the
product works offline and its content security policy takes scripts and styles from 'self' only.

Swagger UI's built files (swagger-ui-bundle.js, swagger-ui.css, a favicon) come from the
fastapi-offline package, which ships them as plain files; only its static folder is used here.
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
ASSETS_URL = "/docs-assets"


def swagger_ui_dir() -> str:
    return str(resources.files("fastapi_offline").joinpath("static"))


def install_docs(app: FastAPI, title: str) -> None:
    """Serve Swagger UI's files under /docs-assets/ and the docs page at /docs. Call it before
    anything is mounted at "/", which would otherwise take these paths."""
    app.mount(ASSETS_URL, StaticFiles(directory=swagger_ui_dir()), name="docs-assets")
    # Never show the badge that loads an image from validator.swagger.io (it would leave the machine).
    parameters = {**(app.swagger_ui_parameters or {}), "validatorUrl": None}

    @app.get(DOCS_URL, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=title,
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            swagger_ui_parameters=parameters,
        )
