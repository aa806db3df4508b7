"""SQLite lacks PostgreSQL's BIT_OR aggregate, which the aggregates' SQL uses."""


class BitOr:
    def __init__(self):
        self.value = 0

    def step(self, value):
        if value is not None:
            self.value |= value

    def finalize(self):
        return self.value


def add_bit_or(sender, connection, **kwargs):
    """``connection_created`` receiver: register BIT_OR on every SQLite connection."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("BIT_OR", 1, BitOr)
