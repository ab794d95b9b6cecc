"""Operator commands that `python -m gql` runs beside serving: migrations, the demo seed,
backups and point-in-time recovery, the outbox, and choosing the database instance.

The top layer with gql/__main__.py: commands may import anything below, the application
included; nothing in gql imports them except gql/__main__.py.
"""
