"""Redis's own record of the commands it ran, in the order it ran them (MONITOR): a witness
that needs no word from the service under test. The fault matrix's "Redis answers late" row
reads from it that a purchase's deduction reached Redis after the back-query."""

import threading

import redis


class RedisMonitor:
    """While the block runs, keeps every command sent to Redis (not those a script runs
    inside it) whose text contains `pattern`, as Redis ran them: `commands`, oldest first."""

    def __init__(self, redis_url, pattern):
        # Its own connection, with no read timeout: a quiet moment must not end the record.
        self._client = redis.Redis.from_url(redis_url)
        self.pattern = pattern
        self.commands = []
        self._monitor = None
        self._thread = threading.Thread(target=self._read, daemon=True)

    def __enter__(self):
        self._monitor = self._client.monitor().__enter__()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._monitor.__exit__()  # closes the connection, which ends the reader's wait
        self._thread.join(5)
        self._client.close()

    def _read(self):
        try:
            while True:
                command = self._monitor.next_command()
                if command["client_type"] != "lua" and self.pattern in command["command"]:
                    self.commands.append(command["command"].split(" "))
        except (redis.ConnectionError, OSError, AttributeError):  # the connection was closed: done
            return
