# The CRM API on PostgreSQL, as a non-root user.
#   docker build -t crm .
#   docker run -p 8000:8000 -e CRM_DATABASE_URL=postgresql+asyncpg://crm:secret@db:5432/crm crm
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
# Applies pending migrations, then serves; on an empty database it prints the first admin key.
CMD ["crm", "serve"]
