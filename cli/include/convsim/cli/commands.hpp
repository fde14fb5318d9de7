// The convsim subcommands. Each add_*_command registers one CLI11 subcommand on the app; when it is
// chosen, its callback runs and stores the process exit code in `exit_code`. Bad input is thrown
// as convsim::InputError and turned into exit code 2 by main().
#pragma once

#include <CLI/CLI.hpp>

namespace convsim::cli {

void add_run_command(CLI::App& app, int& exit_code);       // convsim run SCENARIO
void add_validate_command(CLI::App& app, int& exit_code);  // convsim validate SCENARIO
void add_info_command(CLI::App& app, int& exit_code);      // convsim info RESULT.h5
void add_version_command(CLI::App& app, int& exit_code);   // convsim version
void add_solow_command(CLI::App& app, int& exit_code);     // convsim solow DATA
void add_bench_command(CLI::App& app, int& exit_code);     // convsim bench
void add_calibrate_command(CLI::App& app, int& exit_code); // convsim calibrate SCENARIO --targets FILE
void add_compare_command(CLI::App& app, int& exit_code);   // convsim compare BASELINE RESULT...
void add_schema_command(CLI::App& app, int& exit_code);    // convsim schema
void add_sweep_command(CLI::App& app, int& exit_code);    // convsim sweep plan|run|slurm SWEEP
void add_merge_command(CLI::App& app, int& exit_code);    // convsim merge SWEEP_DIR
void add_facts_command(CLI::App& app, int& exit_code);    // convsim facts RESULT.h5
void add_sensitivity_command(CLI::App& app, int& exit_code);  // convsim sensitivity MERGED.h5
void add_discover_command(CLI::App& app, int& exit_code);     // convsim discover MERGED.h5
void add_export_command(CLI::App& app, int& exit_code);   // convsim export RESULT.h5 --format csv

}  // namespace convsim::cli
