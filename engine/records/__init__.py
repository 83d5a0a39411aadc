"""Each case's history: the append-only, hash-chained events and the keys that sign them."""
