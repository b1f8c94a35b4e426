"""The `samic` command line: thin subcommands that call library functions."""
