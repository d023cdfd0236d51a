"""Storage: SQLAlchemy models, user-scoped repositories and Alembic migrations."""
