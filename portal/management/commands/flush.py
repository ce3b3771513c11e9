"""`flush` as the owner role: the application role has no TRUNCATE (it would skip row-level
security). Tests with real transactions flush between tests."""

from contextlib import nullcontext

from django.core.management.commands.flush import Command as DjangoFlush
from django.db import connections


class Command(DjangoFlush):
    def handle(self, **options):
        connection = connections[options["database"]]
        with getattr(connection, "as_owner", nullcontext)():
            return super().handle(**options)
