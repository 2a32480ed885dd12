FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 1000 mturkdash

COPY pyproject.toml requirements.lock ./
COPY mturkdash ./mturkdash
COPY apps ./apps
RUN pip install --no-cache-dir -c requirements.lock .

COPY . .
RUN SECRET_KEY=build-only-key-build-only-key-build-only-key-0123456789 ALLOWED_HOSTS=build \
    python manage.py collectstatic --no-input -v 0 \
 && mkdir -p /app/var && chown -R mturkdash /app/var

USER mturkdash
EXPOSE 8000
CMD ["gunicorn", "mturkdash.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
