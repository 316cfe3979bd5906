# The CRM API on PostgreSQL, as a non-root user.
#   docker build -t crm-api .
# Migrations run as a job of their own, once per release, before the API containers start (on
# an empty database it also creates the `default` workspace and prints its admin key):
#   docker run --rm -e CRM_DATABASE_URL=postgresql+asyncpg://crm:secret@db:5432/crm crm-api crm migrate
# then any number of API containers, which do not migrate:
#   docker run -p 8000:8000 -e CRM_DATABASE_URL=postgresql+asyncpg://crm:secret@db:5432/crm crm-api
# (`crm migrate --check` exits 1 while the database is not at this image's migrations: a gate
# for a deploy script. Without a migrate job, run the image with `crm serve` instead: it migrates
# at start-up under a database lock, so replicas started at once wait for one another.)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --system --uid 10001 --home-dir /srv/crm --no-create-home crm
WORKDIR /srv/crm

COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
# Editable, so that `crm` finds alembic.ini and migrations/ beside the package.
RUN pip install -e . && chown -R crm:crm /srv/crm

USER crm
ENV CRM_HOST=0.0.0.0 \
    CRM_PORT=8000 \
    CRM_DATABASE_URL=postgresql+asyncpg://crm@db:5432/crm
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2)"
# Serves without migrating: the migrate job above has applied the migrations.
CMD ["crm", "serve", "--no-migrate"]
