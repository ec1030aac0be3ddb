# The application image: gunicorn serving config.wsgi (docker-compose.yml runs it with PostgreSQL
# and the expired-hold sweeper). Configuration comes from the environment (.env.example).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Static files are baked into the image (whitenoise serves them). The key below only lets
# Django start for collectstatic; the container gets its real SECRET_KEY from the environment.
RUN SECRET_KEY=build-only-not-for-production DEBUG=false python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --home-dir /app ticketing \
    && chown -R ticketing /app/staticfiles
USER ticketing

ENV GUNICORN_BIND=0.0.0.0:8000
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
CMD ["gunicorn", "config.wsgi", "-c", "config/gunicorn.py"]
