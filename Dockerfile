# Quarterdeck's production image: one image for web (gunicorn), worker and beat (celery);
# docker-compose.yml chooses the command. Build: docker build -t quarterdeck .
FROM python:3.11-slim

# The project is not a package (pyproject.toml has packages = []): PYTHONPATH makes its
# modules importable from /app whichever program (gunicorn, celery, manage.py) starts.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

WORKDIR /app

# Dependencies first, in their own layer: a code change does not reinstall them. Every
# package is pinned by constraints.txt, so the image gets exactly what CI tested.
COPY pyproject.toml constraints.txt ./
RUN pip install -c constraints.txt .

COPY . .

# Static files are collected at build time and served by WhiteNoise from the image. Settings
# refuse to load without SECRET_KEY and ALLOWED_HOSTS when DEBUG is off; these placeholder
# values exist only for this command and never reach a running container.
RUN SECRET_KEY=collectstatic-only-not-a-real-key ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput --verbosity 0

# Run as an unprivileged user. var/ is the only place the app writes (celery beat's
# schedule file, and the embedded broker's folders when REDIS_URL is unset).
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin quarterdeck \
    && mkdir -p /app/var \
    && chown -R quarterdeck:quarterdeck /app/var
USER quarterdeck

EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
