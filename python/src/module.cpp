// convsim._core: the C++ side of the convsim Python package (docs/python.md). It loads scenarios
// as `convsim run` does, simulates them with the GIL released, hands the series to NumPy without
// copying them (each array borrows its buffer from the RunResult, kept alive by a capsule), runs
// sweeps with the sweep executor and compares results with the analysis library, so that Python
// gets the numbers the CLI prints. The pure-Python modules build xarray and pandas objects on top.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>
#include <tbb/global_control.h>

#include "convsim/analysis/compare.hpp"
#include "convsim/errors.hpp"
#include "convsim/merge.hpp"
#include "convsim/models/checkpoint.hpp"
#include "convsim/models/simulation.hpp"
#include "convsim/output_path.hpp"
#include "convsim/parameter_draws.hpp"
#include "convsim/result.hpp"
#include "convsim/result_file.hpp"
#include "convsim/scenario.hpp"
#include "convsim/scenario_document.hpp"
#include "convsim/sweep.hpp"
#include "convsim/sweep_executor.hpp"

namespace py = pybind11;

namespace convsim::python {
namespace {

// Limits TBB to `threads` workers while alive (0 or less: all cores), as `--threads` does.
std::unique_ptr<tbb::global_control> limit_threads(int threads) {
  if (threads <= 0) return nullptr;
  return std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                               static_cast<std::size_t>(threads));
}

// A loaded, validated scenario; `source` is the file it came from.
struct LoadedScenario {
  Scenario scenario;
  std::string source;
};

// Loads a scenario as `convsim run` does: the file, each "key=value" override in order, the record
// of calibrated values it departs from, validation and the memory check.
LoadedScenario load(const std::string& path, const std::vector<std::string>& overrides) {
  ScenarioDocument document = ScenarioDocument::load(path);
  for (const auto& assignment : overrides) document.apply_override(assignment);
  record_calibration_overrides(document);
  LoadedScenario loaded{build_scenario(document), path};
  check_memory(loaded.scenario);
  return loaded;
}

// A float64 array over `values` (shape `shape`) that borrows the buffer owned by `owner`.
py::array borrowed(const std::vector<double>& values, std::vector<py::ssize_t> shape, const py::capsule& owner) {
  return py::array_t<double>(std::move(shape), values.data(), owner);
}

py::list series_list(const std::vector<Series>& series, std::size_t T, const py::capsule& owner) {
  py::list out;
  for (const Series& s : series) {
    out.append(py::make_tuple(s.name, s.units, s.long_name,
                              borrowed(s.values, {static_cast<py::ssize_t>(T)}, owner)));
  }
  return out;
}

py::list sector_series_list(const std::vector<SectorSeries>& series, std::size_t T, std::size_t S,
                            const py::capsule& owner) {
  py::list out;
  for (const SectorSeries& s : series) {
    out.append(py::make_tuple(
        s.name, s.units, s.long_name,
        borrowed(s.values, {static_cast<py::ssize_t>(T), static_cast<py::ssize_t>(S)}, owner)));
  }
  return out;
}

// The firm snapshots as [snapshot, firm] arrays padded with NaN (a copy: the snapshots differ in
// length), with the snapshot times and slot counts.
py::dict snapshot_parts(const std::vector<FirmSnapshot>& snapshots) {
  py::dict parts;
  std::size_t firms = 0;
  for (const FirmSnapshot& s : snapshots) {
    if (!s.columns.empty()) firms = std::max(firms, s.columns.front().values.size());
  }
  const auto K = static_cast<py::ssize_t>(snapshots.size());
  py::array_t<double> time(K);
  py::array_t<std::int64_t> slots(K);
  for (py::ssize_t k = 0; k < K; ++k) {
    const FirmSnapshot& s = snapshots[static_cast<std::size_t>(k)];
    time.mutable_at(k) = s.time;
    slots.mutable_at(k) = s.columns.empty() ? 0 : static_cast<std::int64_t>(s.columns.front().values.size());
  }
  parts["time"] = time;
  parts["slot_count"] = slots;
  py::list columns;
  if (!snapshots.empty()) {
    for (std::size_t c = 0; c < snapshots.front().columns.size(); ++c) {
      const FirmColumn& first = snapshots.front().columns[c];
      py::array_t<double> values({K, static_cast<py::ssize_t>(firms)});
      auto view = values.mutable_unchecked<2>();
      for (py::ssize_t k = 0; k < K; ++k) {
        const std::vector<double>& column = snapshots[static_cast<std::size_t>(k)].columns[c].values;
        for (std::size_t f = 0; f < firms; ++f) {
          view(k, static_cast<py::ssize_t>(f)) = f < column.size() ? column[f] : std::numeric_limits<double>::quiet_NaN();
        }
      }
      columns.append(py::make_tuple(first.name, first.units, first.long_name, values));
    }
  }
  parts["columns"] = columns;
  return parts;
}

// Everything a run produced, as plain Python objects and NumPy arrays: the series arrays borrow
// the RunResult's buffers (the capsule owns it), nothing is copied but the firm snapshots.
py::dict result_parts(RunResult&& result) {
  auto owned = std::make_unique<std::shared_ptr<const RunResult>>(std::make_shared<const RunResult>(std::move(result)));
  const RunResult& r = **owned;
  const py::capsule owner(owned.get(), [](void* p) { delete static_cast<std::shared_ptr<const RunResult>*>(p); });
  owned.release();
  const std::size_t T = r.time.size(), S = r.sectors.size();
  py::dict parts;
  py::dict attrs;
  attrs["title"] = r.title;
  attrs["scenario_name"] = r.scenario_name;
  attrs["scenario"] = r.scenario_yaml;
  attrs["scenario_hash"] = r.scenario_hash;
  attrs["seed"] = r.seed;
  attrs["steps_per_year"] = r.steps_per_year;
  attrs["convsim_version"] = std::string(convsim_version());
  attrs["git_revision"] = std::string(convsim_git_revision());
  parts["attrs"] = attrs;
  parts["time"] = borrowed(r.time, {static_cast<py::ssize_t>(T)}, owner);
  parts["sector"] = r.sectors;
  parts["sector_role"] = r.sector_roles;
  parts["aggregate"] = series_list(r.aggregate, T, owner);
  parts["by_sector"] = sector_series_list(r.by_sector, T, S, owner);
  parts["convergence"] = series_list(r.convergence, T, owner);
  py::list policy = series_list(r.policy, T, owner);
  for (const auto& item : sector_series_list(r.policy_by_sector, T, S, owner)) policy.append(item);
  parts["policy"] = policy;
  py::dict events;
  std::vector<std::string> name, lever, sectors, mode;
  std::vector<double> at, until, ramp, value;
  for (const PolicyEventRecord& e : r.events) {
    name.push_back(e.name);
    lever.push_back(e.lever);
    sectors.push_back(e.sectors);
    mode.push_back(e.mode);
    at.push_back(e.at);
    until.push_back(e.until);
    ramp.push_back(e.ramp_years);
    value.push_back(e.value);
  }
  events["name"] = name;
  events["lever"] = lever;
  events["sectors"] = sectors;
  events["mode"] = mode;
  events["at"] = py::array_t<double>(static_cast<py::ssize_t>(at.size()), at.data());
  events["until"] = py::array_t<double>(static_cast<py::ssize_t>(until.size()), until.data());
  events["ramp_years"] = py::array_t<double>(static_cast<py::ssize_t>(ramp.size()), ramp.data());
  events["value"] = py::array_t<double>(static_cast<py::ssize_t>(value.size()), value.data());
  parts["events"] = events;
  if (!r.snapshots.empty()) parts["firms"] = snapshot_parts(r.snapshots);
  return parts;
}

// After each step, with the GIL taken: Python's signal handlers run (Ctrl-C raises
// KeyboardInterrupt) and the progress function (done, total), if any, is called. A Python
// exception propagates out of the run. The function holds a pointer to `callback` (which must
// outlive it), never a copy: copying a Python object without the GIL would race on its count.
std::function<void(int, int)> python_progress(const py::object& callback) {
  const py::object* function = &callback;
  return [function](int done, int total) {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    if (!function->is_none()) (*function)(done, total);
  };
}

// The options of a run from Python: Ctrl-C is noticed while the economy is built (through
// `no_progress`, a None the caller keeps alive while the options are used) and `progress` is
// called after each step.
models::RunOptions python_run_options(const py::object& no_progress, const py::object& progress, bool snapshots) {
  models::RunOptions options;
  options.preparation = python_progress(no_progress);
  options.progress = python_progress(progress);
  options.firm_snapshots = snapshots;
  return options;
}

py::dict simulate(const LoadedScenario& loaded, int threads, const py::object& progress, bool snapshots) {
  const py::object no_progress = py::none();
  const models::RunOptions options = python_run_options(no_progress, progress, snapshots);
  RunResult result;
  {
    py::gil_scoped_release released;
    const auto limit = limit_threads(threads);
    result = models::simulate(loaded.scenario, options);
  }
  return result_parts(std::move(result));
}

// Runs a scenario to the start of `year` and saves its state there (convsim run --checkpoint-at
// YEAR --checkpoint PATH --checkpoint-only); with `finish`, goes on to the end and returns the
// result (the --checkpoint-at run without --checkpoint-only), else returns None.
py::object checkpoint(const LoadedScenario& loaded, double year, const std::string& path, bool finish, int threads,
                      const py::object& progress, bool snapshots) {
  const std::string problem = models::step_start_problem(loaded.scenario, year, loaded.scenario.name);
  if (!problem.empty()) throw InputError("<arguments>", 0, "year", problem);
  const int steps_done = models::step_starting_in(loaded.scenario, year);
  check_output_path(path, "the checkpoint", "path");
  const py::object no_progress = py::none();
  const models::RunOptions options = python_run_options(no_progress, progress, snapshots);
  RunResult result;
  {
    py::gil_scoped_release released;
    const auto limit = limit_threads(threads);
    models::Checkpoint state = models::run_to_checkpoint(loaded.scenario, steps_done, options);
    models::save_checkpoint(state, path);
    if (finish) result = models::continue_run(loaded.scenario, std::move(state), options);
  }
  if (!finish) return py::none();
  return result_parts(std::move(result));
}

// Continues the checkpoint at `path` with its own scenario, or with `branch` (which must differ
// from it only in events from the checkpoint year on), as `convsim run [BRANCH] --from PATH`.
py::dict continue_checkpoint(const std::string& path, const LoadedScenario* branch, int threads, const py::object& progress,
                             bool snapshots) {
  const py::object no_progress = py::none();
  const models::RunOptions options = python_run_options(no_progress, progress, snapshots);
  RunResult result;
  {
    py::gil_scoped_release released;
    const auto limit = limit_threads(threads);
    models::Checkpoint state = models::load_checkpoint(path);
    const Scenario scenario =
        models::continuation_scenario(state, path, branch != nullptr ? &branch->scenario : nullptr);
    try {
      result = models::continue_run(scenario, std::move(state), options);
    } catch (const std::invalid_argument& e) {
      throw InputError(path, 0, "", std::string("not a checkpoint this scenario can continue: ") + e.what());
    }
  }
  return result_parts(std::move(result));
}

// A result file read back exactly (its checksum trailer checked first), with the file's root
// attributes (the writing convsim's version, `created`, ...) in place of this build's.
py::dict read_result_file(const std::string& path) {
  RunResult result;
  ResultSummary summary;
  {
    py::gil_scoped_release released;
    result = read_result(path);
    summary = describe_result(path);
  }
  py::dict parts = result_parts(std::move(result));
  py::dict attrs = parts["attrs"];
  for (const auto& [name, value] : summary.attributes) {
    if (name != "seed" && name != "steps_per_year") attrs[py::str(name)] = value;
  }
  return parts;
}

// `convsim compare ... --format csv` of the same arguments and options, as text.
std::string compare_csv(const std::vector<std::string>& arguments, const std::vector<std::string>& variables,
                        const std::string& scope, std::optional<double> horizon, double confidence,
                        const std::string& baseline_scenario, const std::vector<std::string>& where,
                        const std::vector<std::string>& scenarios) {
  if (!(confidence > 0 && confidence < 1)) {
    throw InputError("<arguments>", 0, "confidence", "the confidence level must lie strictly between 0 and 1");
  }
  analysis::CompareOptions options;
  options.variables = variables;
  options.scope = analysis::parse_scope(scope);
  options.confidence_level = confidence;
  options.horizon_year = horizon;
  analysis::LoadOptions load;
  load.baseline_scenario = baseline_scenario;
  load.where = where;
  load.scenarios = scenarios;
  std::ostringstream out;
  {
    py::gil_scoped_release released;
    const analysis::ComparisonInput input = analysis::load_comparison(arguments, load);
    analysis::write_comparison_csv(analysis::compare(input, options), out);
  }
  return out.str();
}

// Runs a sweep file locally into `output_dir` (resuming what is there) and merges it into `merged`.
// Returns the failed runs as "index scenario identity: error" lines (nothing is merged then).
std::vector<std::string> run_sweep(const std::string& sweep, const std::string& output_dir, const std::string& merged,
                                   int jobs, int threads_per_run, bool parameter_uncertainty, const py::object& progress) {
  const SweepPlan plan = load_sweep(sweep, RunIdentities::compute,
                                    parameter_uncertainty ? ParameterUncertainty::on : ParameterUncertainty::off);
  SweepExecutionOptions options;
  options.output_dir = output_dir;
  options.jobs = std::max(1, jobs);
  options.threads_per_run = std::max(1, threads_per_run);
  // Called on the workers' reporting thread (under the executor's lock): it must not throw.
  // A Python error in it (Ctrl-C included) is kept and raised when the executor returns.
  std::optional<py::error_already_set> error;
  if (!progress.is_none()) {
    options.on_run_finished = [&](const RunOutcome&, std::size_t done, std::size_t total) {
      py::gil_scoped_acquire gil;
      if (error) return;
      try {
        if (PyErr_CheckSignals() != 0) throw py::error_already_set();
        progress(done, total);
      } catch (py::error_already_set& e) {
        error = std::move(e);
      }
    };
  }
  models::RunOptions run;
  run.firm_snapshots = false;
  const RunSimulator simulator = models::sweep_simulator(plan, output_dir, run);  // branch_from as the CLI
  SweepReport report;
  std::vector<std::string> failures;
  {
    py::gil_scoped_release released;
    report = run_sweep_local(plan, simulator, options);
    if (report.failed() > 0) {
      failures = write_failures_log(plan, output_dir, report.outcomes);
    } else {
      merge_sweep(output_dir, merged);
    }
  }
  if (error) throw *error;
  return failures;
}

}  // namespace
}  // namespace convsim::python

PYBIND11_MODULE(_core, m) {
  using namespace convsim;
  using namespace convsim::python;
  m.doc() = "convsim's C++ core; use the convsim package (docs/python.md)";

  // InputError becomes convsim.ScenarioError (defined in Python) with file, line, key and detail.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const InputError& e) {
      const py::object type = py::module_::import("convsim._errors").attr("ScenarioError");
      const py::object error = type(std::string(e.what()), e.file(), e.line(), e.key(), e.detail());
      PyErr_SetObject(type.ptr(), error.ptr());
    }
  });

  py::class_<LoadedScenario>(m, "Scenario")
      .def_property_readonly("name", [](const LoadedScenario& s) { return s.scenario.name; })
      .def_property_readonly("seed", [](const LoadedScenario& s) { return s.scenario.seed; })
      .def_property_readonly("firms", [](const LoadedScenario& s) { return s.scenario.economy.firms; })
      .def_property_readonly("steps", [](const LoadedScenario& s) { return s.scenario.steps(); })
      .def_property_readonly("steps_per_year", [](const LoadedScenario& s) { return s.scenario.time.steps_per_year; })
      .def_property_readonly("sectors",
                             [](const LoadedScenario& s) {
                               std::vector<std::string> names;
                               for (const auto& sector : s.scenario.sectors) names.push_back(sector.name);
                               return names;
                             })
      .def_property_readonly("resolved_yaml", [](const LoadedScenario& s) { return s.scenario.resolved_yaml; })
      .def_property_readonly("source", [](const LoadedScenario& s) { return s.source; })
      .def_property_readonly("identity", [](const LoadedScenario& s) { return run_identity(s.scenario); })
      .def_property_readonly("estimated_bytes", [](const LoadedScenario& s) { return estimated_run_bytes(s.scenario); })
      .def_property_readonly("warnings", [](const LoadedScenario& s) {
        std::vector<std::string> texts;
        for (const auto& warning : s.scenario.warnings) texts.push_back(warning.text());
        return texts;
      });

  m.def("load_scenario", &load, py::arg("path"), py::arg("overrides") = std::vector<std::string>{});
  m.def("simulate", &simulate, py::arg("scenario"), py::arg("threads") = 0, py::arg("progress") = py::none(),
        py::arg("snapshots") = true);
  m.def("read_result", &read_result_file, py::arg("path"));
  m.def("checkpoint", &checkpoint, py::arg("scenario"), py::arg("year"), py::arg("path"), py::arg("finish") = false,
        py::arg("threads") = 0, py::arg("progress") = py::none(), py::arg("snapshots") = true);
  m.def("continue_checkpoint", &continue_checkpoint, py::arg("path"), py::arg("branch") = nullptr, py::arg("threads") = 0,
        py::arg("progress") = py::none(), py::arg("snapshots") = true);
  m.def("compare_csv", &compare_csv, py::arg("arguments"), py::arg("variables"), py::arg("scope"), py::arg("horizon"),
        py::arg("confidence"), py::arg("baseline_scenario"), py::arg("where"), py::arg("scenarios"));
  m.def("run_sweep", &run_sweep, py::arg("sweep"), py::arg("output_dir"), py::arg("merged"), py::arg("jobs") = 1,
        py::arg("threads_per_run") = 1, py::arg("parameter_uncertainty") = true, py::arg("progress") = py::none());
  m.attr("version") = std::string(convsim_version());
}
