# Loop server image: gunicorn + whitenoise, PostgreSQL via DATABASE_URL.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

RUN useradd --create-home --uid 1000 loop

COPY pyproject.toml README.md ./
COPY client ./client
COPY loop_project ./loop_project
COPY accounts ./accounts
COPY issues ./issues
COPY signals_app ./signals_app
COPY dispatch ./dispatch
COPY templates_app ./templates_app
COPY integrations ./integrations
COPY manage.py gunicorn.conf.py ./

RUN pip install . ./client \
    && mkdir -p /app/var && chown loop:loop /app/var \
    && SECRET_KEY=build-only python manage.py collectstatic --noinput -v0

USER loop
ENV LOOP_BIND=0.0.0.0:8000
EXPOSE 8000
# Migrations run as a separate release step: `docker run ... python manage.py migrate`.
CMD ["gunicorn", "-c", "gunicorn.conf.py", "loop_project.wsgi"]
