"""The database cache that production uses when no Redis is configured (settings.CACHES).

Django's database cache increments a number by writing it again with the cache's default
timeout, so a rate-limit count, which django-ratelimit adds for its window (a minute, an
hour), would either expire early (a short default) or, with a long default, stay a day
after its window: 30,000 respondents leave hundreds of thousands of rows, and every write
to the cache begins by counting the whole table. Here an increment keeps the count's
expiry, as Redis's INCR does, so counts leave with their window and the table stays the
size of what is live.
"""

import datetime

from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, models, router
from django.utils import timezone


class DatabaseCache(DjangoDatabaseCache):
    def incr(self, key, delta=1, version=None):
        value = self.get(key, version=version)
        expires = self._expires(key, version)
        if value is None or expires is None:
            raise ValueError(f"Key '{key}' not found")
        left = (expires - timezone.now()).total_seconds()
        if left <= 0:
            raise ValueError(f"Key '{key}' not found")
        value += delta
        self.set(key, value, timeout=left, version=version)
        return value

    def _expires(self, key, version):
        """When the key expires, as an aware datetime (None if it is not there), read and
        converted as Django's own get_many does."""
        made = self.make_and_validate_key(key, version=version)
        connection = connections[router.db_for_read(self.cache_model_class)]
        quote_name = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote_name('expires')} FROM {quote_name(self._table)} "  # noqa: S608
                f"WHERE {quote_name('cache_key')} = %s",
                [made],
            )
            row = cursor.fetchone()
        if row is None:
            return None
        expires = row[0]
        expression = models.Expression(output_field=models.DateTimeField())
        converters = connection.ops.get_db_converters(expression) + expression.get_db_converters(
            connection
        )
        for converter in converters:
            expires = converter(expires, expression, connection)
        if timezone.is_naive(expires):
            expires = timezone.make_aware(expires, datetime.UTC)
        return expires
