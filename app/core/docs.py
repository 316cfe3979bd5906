"""The interactive documentation, `/docs` (Swagger UI) and `/redoc`, served without the internet.

FastAPI's own pages load their scripts from a CDN and are blank on a closed network. These load
Swagger UI and Redoc from the files the `fastapi-offline` package ships, served here, and start
Swagger UI from a script of their own rather than an inline one (so a Content-Security-Policy of
`script-src 'self'` allows them). Swagger UI's validator badge, which calls an outside service,
is off, and both pages declare a Content-Security-Policy that keeps them to this server: Redoc's
bundle names its logo on a CDN, which the browser then does not fetch.
"""

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

from app.core.problems import problem_response

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
SERVED = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
    "favicon.png": "image/png",
}
CACHE = {"Cache-Control": "public, max-age=86400"}
# Swagger UI and Redoc set styles inline and Redoc searches in a worker made from a blob.
PAGE_POLICY = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; worker-src 'self' blob:; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

SWAGGER_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="icon" type="image/png" href="{root}/docs/assets/favicon.png">
<link rel="stylesheet" href="{root}/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{root}/openapi.json"></div>
<script src="{root}/docs/assets/swagger-ui-bundle.js"></script>
<script src="{root}/docs/swagger-init.js"></script>
</body>
</html>
"""

SWAGGER_INIT = """\
const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""

REDOC_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="icon" type="image/png" href="{root}/docs/assets/favicon.png">
</head>
<body>
<redoc spec-url="{root}/openapi.json"></redoc>
<script src="{root}/docs/assets/redoc.standalone.js"></script>
</body>
</html>
"""


def install_docs(app: FastAPI) -> None:
    """Add the documentation routes (after the API's: they are matched last)."""
    title = app.title

    async def swagger_ui(request: Request) -> Response:
        root = request.scope.get("root_path", "")
        return HTMLResponse(SWAGGER_HTML.format(title=title, root=root), headers=PAGE_POLICY)

    async def swagger_init() -> Response:
        return Response(SWAGGER_INIT, media_type="text/javascript", headers=CACHE)

    async def redoc(request: Request) -> Response:
        root = request.scope.get("root_path", "")
        return HTMLResponse(REDOC_HTML.format(title=title, root=root), headers=PAGE_POLICY)

    async def asset(name: str) -> Response:
        media_type = SERVED.get(name)
        if media_type is None:
            path = f"/docs/assets/{name}"
            return problem_response(404, f"No route matches GET {path}.", instance=path)
        return FileResponse(ASSETS / name, media_type=media_type, headers=CACHE)

    for path, endpoint in (
        ("/docs", swagger_ui),
        ("/docs/swagger-init.js", swagger_init),
        ("/docs/assets/{name}", asset),
        ("/redoc", redoc),
    ):
        app.add_api_route(path, endpoint, methods=["GET"], include_in_schema=False)
