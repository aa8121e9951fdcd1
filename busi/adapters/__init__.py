"""Adapters: the stores at the edge. stock.py: Redis keys, gids and the stock;
redis_client.py: the one place a Redis client is made; orders.py, products.py, wallets.py:
MySQL, with schema.sql; metrics.py: Prometheus. No business decisions here."""
