"""HTTP entrypoints: the Flask blueprints, thin. Each reads and checks its request (inputs.py),
calls the domain, and answers JSON (errors.py). purchases.py: flashSales and what a shopper
reads; branches.py: the endpoints only DTM calls; shop.py: products, wallets, pay; demo.py:
reset, crash and batch; live.py: the live page; api_docs.py: Swagger UI."""
