"""SQLite lacks PostgreSQL's BIT_OR and BIT_AND aggregates, which the aggregates' SQL
uses."""


class BitOr:
    def __init__(self):
        self.value = 0

    def step(self, value):
        if value is not None:
            self.value |= value

    def finalize(self):
        return self.value


class BitAnd:
    def __init__(self):
        self.value = None

    def step(self, value):
        if value is not None:
            self.value = value if self.value is None else self.value & value

    def finalize(self):
        return self.value


def add_bit_aggregates(sender, connection, **kwargs):
    """``connection_created`` receiver: register BIT_OR and BIT_AND on every SQLite
    connection."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("BIT_OR", 1, BitOr)
        connection.connection.create_aggregate("BIT_AND", 1, BitAnd)
