# spdlog: log lines (progress on a non-terminal, warnings); Debian libspdlog-dev.
find_package(spdlog REQUIRED)
