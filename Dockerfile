# Every image of docker-compose.yml, one stage each (docs/docker.md): the service (gunicorn and the
# stock stream server), DTM v1.19.0 with its dashboard, Redis and MariaDB, all on Debian 12 as the
# local stack, with its settings (scripts/conf) and its DTM build (scripts/build-dtm.sh).
# BASE is the only thing a build may change: a user's pulls debian:bookworm-slim; the test here,
# with no registry, passes an image made by debootstrap (scripts/docker.sh).
ARG BASE=debian:bookworm-slim

FROM ${BASE} AS debian
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*

FROM debian AS node
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*

# Debian 12's Go (1.19) is too old for DTM: the toolchain that build-dtm.sh names comes from
# the Go module proxy, as a `GOTOOLCHAIN=...` download would.
FROM node AS dtm-build
ARG GOPROXY=https://proxy.golang.org
COPY scripts/build-dtm.sh /build/
RUN apt-get update && apt-get install -y --no-install-recommends unzip && rm -rf /var/lib/apt/lists/* \
    && arch=$(dpkg --print-architecture) && toolchain=$(bash -c '. /build/build-dtm.sh && echo "$GO_TOOLCHAIN"') \
    && curl -fsSL -o /tmp/go.zip "${GOPROXY%%,*}/golang.org/toolchain/@v/v0.0.1-${toolchain}.linux-${arch}.zip" \
    && unzip -q /tmp/go.zip -d /tmp/toolchain && mv /tmp/toolchain/golang.org/toolchain@*/ /usr/local/go \
    && chmod +x /usr/local/go/bin/* /usr/local/go/pkg/tool/*/* && rm -rf /tmp/go.zip /tmp/toolchain
ENV PATH=/usr/local/go/bin:$PATH GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
RUN bash /build/build-dtm.sh /out/dtm

FROM debian AS dtm
COPY --from=dtm-build /out/dtm /usr/local/bin/dtm
# boltdb keeps ./dtm.bolt: the working directory is the volume.
WORKDIR /data
CMD ["dtm"]

FROM debian AS redis
RUN apt-get update && apt-get install -y --no-install-recommends redis-server && rm -rf /var/lib/apt/lists/*
COPY scripts/conf/redis.conf /etc/flash-sale/redis.conf
WORKDIR /data
CMD ["redis-server", "/etc/flash-sale/redis.conf", "--dir", "/data"]

FROM debian AS mariadb
RUN apt-get update && apt-get install -y --no-install-recommends mariadb-server && rm -rf /var/lib/apt/lists/*
COPY scripts/conf/mariadb.cnf /etc/flash-sale/mariadb.cnf
COPY scripts/mariadb-start.sh /usr/local/bin/mariadb-start
CMD ["mariadb-start"]

# The live page's chart library, exactly its lock file (as scripts/stack.sh's web_assets).
FROM node AS web-assets
COPY busi/entrypoints/web/package.json busi/entrypoints/web/package-lock.json /web/
RUN cd /web && npm ci --no-audit --no-fund

FROM debian AS service
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
# What busi and saga import, at requirements.txt's versions; the tests' and the tools' stay out.
RUN python3 -m venv /venv && /venv/bin/pip install --no-cache-dir -q -c requirements.txt \
    aiohttp cryptography dtmcli Flask gunicorn hiredis itsdangerous prometheus-client PyMySQL PyYAML \
    redis requests SQLAlchemy swagger-ui-bundle
ENV PATH=/venv/bin:$PATH
COPY saga saga
COPY busi busi
COPY --from=web-assets /web/node_modules busi/entrypoints/web/node_modules
# The schema (idempotent), then gunicorn; the stream server's container runs its own command.
CMD ["sh", "-c", "python -m busi setup && exec gunicorn -c busi/server/gunicorn_conf.py busi.server.wsgi:app"]
