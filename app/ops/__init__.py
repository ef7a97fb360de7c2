"""Running the application in production: the gunicorn profile and what it refuses, logs,
metrics and readiness."""
