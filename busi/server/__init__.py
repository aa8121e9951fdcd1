"""Running the service: gunicorn's settings (gunicorn_conf.py), the WSGI entry (wsgi.py), and
`python -m busi setup` (setup.py: the schema and product 1's first stock)."""
