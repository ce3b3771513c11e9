"""`migrate` as the owner role: the application role may not create or alter tables."""

from contextlib import nullcontext

from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections


class Command(DjangoMigrate):
    def handle(self, *args, **options):
        connection = connections[options["database"]]
        with getattr(connection, "as_owner", nullcontext)():
            return super().handle(*args, **options)
