"""Tools beside the product: the on-sale benchmark (tools.bench) and the fault injector (tools.faults)."""
