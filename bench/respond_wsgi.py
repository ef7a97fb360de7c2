"""The application as `make serve` runs it (wsgi:app), with the benchmark's meter."""

from cpu_meter import CpuMeter

from wsgi import app as application

app = CpuMeter(application)
