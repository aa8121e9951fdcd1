"""Interactive API documentation at /api/busi/docs: Swagger UI over busi/entrypoints/openapi.yaml, its
assets served from the swagger-ui-bundle package (PyPI), so it works offline."""

from flask import Blueprint, send_from_directory
from swagger_ui_bundle import swagger_ui_path

bp = Blueprint("docs", __name__)

# Relative URLs: the page is /api/busi/docs, its assets /api/busi/docs/..., the spec /api/busi/openapi.json.
PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Flash sale on DTM: API</title>
  <link rel="stylesheet" href="docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/swagger-ui-bundle.js"></script>
  <script>SwaggerUIBundle({url: "openapi.json", dom_id: "#swagger-ui", deepLinking: true});</script>
</body>
</html>
"""


@bp.get("/docs")
def page():
    return PAGE, 200, {"Content-Type": "text/html; charset=utf-8"}


@bp.get("/docs/<path:asset>")
def asset(asset):
    return send_from_directory(swagger_ui_path, asset)  # refuses paths outside the folder (404)
