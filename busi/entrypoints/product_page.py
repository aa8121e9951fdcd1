"""A buyer's page of one product, at /products/<id>: its stock, live, and a buy button
(busi/entrypoints/web/product.html). The page is the purchase service's, so its purchases are
same-origin; its stock comes from the stream server, at STREAM_URL (busi/entrypoints/stream.py)."""

from flask import Blueprint, render_template

from busi import services
from busi.adapters import products
from busi.config import API_PREFIX
from busi.domain.refusals import NotFound

bp = Blueprint("product_page", __name__, template_folder="web")


@bp.get("/products/<int:product_id>")
def page(product_id):
    svc = services()
    product = products.get(svc.mysql, product_id)
    if product is None:
        raise NotFound(f"no product {product_id}: see GET {API_PREFIX}/products")
    return render_template("product.html", product=product, stream_url=svc.config.stream_url)
