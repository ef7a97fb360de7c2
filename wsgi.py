"""The WSGI entry point: `gunicorn wsgi:app` (make serve) or any WSGI server. Settings come
from the environment (APP_CONFIG, DATABASE_URL, SECRET_KEY...; see docs/deploy.md)."""

from app import create_app

app = create_app()
