"""The relational store: SQLite by default, PostgreSQL in production (SQLAlchemy Core)."""
