"""The history store: runs, generations, results and spend in SQL (SQLAlchemy + Alembic)."""
