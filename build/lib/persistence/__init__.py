"""Adapters for the engine's store interfaces: SQLAlchemy (SQLite, PostgreSQL) and memory."""
