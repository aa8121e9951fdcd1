# The business service image, used by docker-compose.yml.
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY busi busi
COPY saga saga
COPY crash_sim crash_sim
EXPOSE 8081
CMD ["sh", "-c", "python -m busi setup && exec gunicorn -c busi/server/gunicorn_conf.py busi.server.wsgi:app"]
