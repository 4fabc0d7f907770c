# Production image: gunicorn web, Celery worker and beat all run from it (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    FRONTPORT_DATA_DIR=/var/lib/frontport
WORKDIR /app

RUN apt-get update && apt-get install -y --no-install-recommends gettext curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /app --uid 1000 frontport \
    && mkdir -p /var/lib/frontport && chown frontport /var/lib/frontport

COPY pyproject.toml ./
RUN python - <<'PY' > /tmp/requirements.txt
import tomllib
print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))
PY
RUN pip install -r /tmp/requirements.txt

COPY . .
# collectstatic needs settings; a throwaway key is fine at build time only.
RUN SECRET_KEY=build-only-not-used-at-runtime-0123456789abcdefghij DEBUG=true \
    python manage.py collectstatic --no-input -v 0

USER frontport
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4"]
