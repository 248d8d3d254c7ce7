"""Make what moto only records actually run: website endpoints, tasks, load balancers."""
