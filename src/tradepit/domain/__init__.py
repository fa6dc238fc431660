"""Domain: models, ports and errors. Imports no adapter library."""
