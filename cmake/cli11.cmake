# CLI11: the convsim command line and its subcommands (Debian libcli11-dev).
find_package(CLI11 REQUIRED)
