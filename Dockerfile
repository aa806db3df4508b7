# Production-like image for docker-compose.yml (web, worker, beat share it).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
RUN pip install --upgrade pip && pip install .

COPY . .
# collectstatic needs no database; a throwaway key only for this build step.
RUN DEBUG=0 SECRET_KEY=build-only-not-used-at-runtime python manage.py collectstatic --noinput \
    && useradd --system --uid 1000 tri && mkdir -p /app/var/media && chown -R tri /app/var
USER tri

EXPOSE 8000
CMD ["gunicorn", "tri_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
