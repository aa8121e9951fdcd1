"""The API documentation page and its assets, served from the swagger-ui-bundle package."""

from busi.config import API_PREFIX
from tests.conftest import app_with


def client():
    return app_with().test_client()


def test_the_page_loads_its_assets_and_the_description_from_this_service():
    page = client().get(f"{API_PREFIX}/docs")
    assert page.status_code == 200 and page.content_type.startswith("text/html")
    html = page.get_data(as_text=True)
    assert 'src="docs/swagger-ui-bundle.js"' in html and 'url: "openapi.json"' in html
    script = client().get(f"{API_PREFIX}/docs/swagger-ui-bundle.js")
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.get_data()


def test_nothing_outside_the_asset_folder_is_served():
    for name in ("../../busi/config.py", "nosuch.js", "%2e%2e/__init__.py"):
        response = client().get(f"{API_PREFIX}/docs/{name}")
        assert response.status_code == 404 and response.is_json
