"""Bronze contracts: one Pandera model per vendor object, versioned (``...V1``)."""
