"""Task bodies: load, call the pure core, store. Celery wrappers in workers/ stay thin."""
