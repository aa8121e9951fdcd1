"""The domain: what a purchase, a payment and an expiry are, as DTM transactions and their
branches' steps. flash_sale.py: the two-phase message and createOrder; payment.py and
expiry.py: the sagas; strategies/: the six ways to sell a unit; crash_points.py: where the
service dies on purpose. It knows nothing of HTTP requests; it raises, the entrypoints answer."""
