"""The database cache that production uses when no Redis is configured (settings.CACHES).

Two changes to Django's, both about rate-limit counts, which django-ratelimit adds for
their window (a minute, an hour, a day) under a key that names the window:

- An increment keeps the count's expiry, as Redis's INCR does. Django's writes the number
  again with the cache's default timeout, so a count either ended early (a short default)
  or, with a long one, stayed a day after its window.
- Past MAX_ENTRIES rows, a write deletes the expired rows only; live rows (counts inside
  their window, rendered pages) are culled only past LIVE_MAX_ENTRIES. Django's culls a
  third of the live rows at once past MAX_ENTRIES, resetting counts that must hold; and
  since a count's key is never read again after its window, its expired row is deleted
  only by a cull. Every write begins by counting the table, so MAX_ENTRIES keeps that
  count small while LIVE_MAX_ENTRIES keeps the counts safe.
"""

import datetime

from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, models, router
from django.utils import timezone


class DatabaseCache(DjangoDatabaseCache):
    def __init__(self, table, params):
        super().__init__(table, params)
        options = params.get("OPTIONS") or {}
        self._live_max_entries = int(options.get("LIVE_MAX_ENTRIES", self._max_entries))

    def incr(self, key, delta=1, version=None):
        value = self.get(key, version=version)
        expires = self._expires(key, version)
        if value is None or expires is None:
            raise ValueError(f"Key '{key}' not found")
        if expires.year == datetime.MAXYEAR:  # stored with no timeout: keep it so
            timeout = None
        else:
            timeout = (expires - timezone.now()).total_seconds()
            if timeout <= 0:  # expired since it was read
                raise ValueError(f"Key '{key}' not found")
        value += delta
        self.set(key, value, timeout=timeout, version=version)
        return value

    def _cull(self, db, cursor, now, num):
        # Django's cull deletes the expired rows, then a third of the rest if more than
        # _max_entries remain: here, only if more than the live ceiling remain.
        # (A cache object belongs to one thread: django.core.cache.caches.)
        soft, self._max_entries = self._max_entries, self._live_max_entries
        try:
            super()._cull(db, cursor, now, num)
        finally:
            self._max_entries = soft

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
        return expires
