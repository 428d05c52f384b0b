"""Adapters to external services behind the ports: OpenRouter, Redis, S3, SQL, the Graph Service."""
