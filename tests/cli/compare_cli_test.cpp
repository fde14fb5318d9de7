// Integration tests of `convsim compare` on small real runs (2,000 firms, 1990-2000): the table, CSV
// and JSON; plots and the report; the Python script on its own agreeing with the CLI; merged
// sweeps; and bad input (exit code 2 with a message naming the files).
#include <algorithm>
#include <filesystem>
#include <iterator>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace convsim::testing {
namespace {

namespace fs = std::filesystem;

std::string shell_quoted(const std::string& text) { return "'" + text + "'"; }
std::string shell_quoted(const fs::path& path) { return shell_quoted(path.string()); }

const std::string kSmall = "--set economy.firms=2000 --set time.end_year=2000 --no-snapshots -q";
const std::string kPolicy = "--set sectors.health_care.barrier=0.0";

std::string python() { return CONVSIM_SYSTEM_PYTHON; }

std::string plots_script() { return source_path("analysis/python/convsim_plots.py").string(); }

// Three replicates (seeds 1-3) of the baseline and of the baseline without the health-care barrier,
// made once for every test of the suite.
class CompareCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    folder_ = new TempDir();
    const std::string scenario = shell_quoted(source_path("scenarios/korea_baseline.yaml"));
    for (int seed = 1; seed <= 3; ++seed) {
      const std::string s = std::to_string(seed);
      const auto base = run_convsim("run " + scenario + " -o " + shell_quoted(*folder_ / ("base_s" + s + ".h5")) + " " + kSmall +
                                    " --set seed=" + s);
      ASSERT_EQ(base.exit_code, 0) << base.err;
      const auto policy = run_convsim("run " + scenario + " -o " + shell_quoted(*folder_ / ("policy_s" + s + ".h5")) + " " +
                                      kSmall + " " + kPolicy + " --set seed=" + s);
      ASSERT_EQ(policy.exit_code, 0) << policy.err;
    }
  }
  static void TearDownTestSuite() {
    delete folder_;
    folder_ = nullptr;
  }

  static fs::path file(const std::string& name) { return *folder_ / name; }
  // "base_s1.h5,base_s2.h5,base_s3.h5" (quoted for the shell).
  static std::string replicates(const std::string& prefix) {
    return shell_quoted(file(prefix + "_s1.h5").string() + "," + file(prefix + "_s2.h5").string() + "," +
                  file(prefix + "_s3.h5").string());
  }
  static std::string both() { return replicates("base") + " " + replicates("policy"); }

  static TempDir* folder_;
};

TempDir* CompareCli::folder_ = nullptr;

TEST_F(CompareCli, TableShowsPairedEffectsAgainstTheBaseline) {
  const auto result = run_convsim("compare " + both());
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(contains(result.out, "Scenario comparison: the whole economy, value in 2000")) << result.out;
  EXPECT_TRUE(contains(result.out, "Baseline: korea_baseline (3 replicates, seeds 1-3)")) << result.out;
  EXPECT_TRUE(contains(result.out, "korea_baseline (sectors.health_care.barrier=0.0)")) << result.out;
  EXPECT_TRUE(contains(result.out, "output [1e8 KRW/year]")) << result.out;
  EXPECT_TRUE(contains(result.out, "employment [person]")) << result.out;
  EXPECT_TRUE(contains(result.out, "effect (paired)")) << result.out;
  EXPECT_TRUE(contains(result.out, "x)")) << result.out;  // how many times wider the unpaired interval is
}

TEST_F(CompareCli, GlobsAndScopesWork) {
  const auto result = run_convsim("compare " + shell_quoted(file("base_s*.h5")) + " " + shell_quoted(file("policy_s*.h5")) +
                                  " --scope sector:health_care --vars output,employment,converged_firms --horizon 1998");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(contains(result.out, "sector health_care, value in 1998")) << result.out;
  EXPECT_TRUE(contains(result.out, "converged_firms [firm]")) << result.out;
  const auto convergence = run_convsim("compare " + both() + " --scope convergence");
  ASSERT_EQ(convergence.exit_code, 0) << convergence.err;
  EXPECT_TRUE(contains(convergence.out, "the smart convergence industry")) << convergence.out;
}

TEST_F(CompareCli, CsvAndJsonAreMachineReadable) {
  const auto csv = run_convsim("compare " + both() + " --format csv");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out.rfind("scope,variable,units,scenario,baseline,replicates,pairs,horizon_year,", 0), 0u) << csv.out;
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 5);
  TempDir dir;
  const auto json = run_convsim("compare " + both() + " --format json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  write_text(dir / "c.json", json.out);
  const auto parsed = run_shell(python() + " -c \"import json,sys; d=json.load(open(sys.argv[1])); "
                                           "print(d['format'], len(d['variables']), d['variables'][0]['scenarios'][1]"
                                           "['horizon_effect']['pairs'])\" " +
                                shell_quoted(dir / "c.json"));
  ASSERT_EQ(parsed.exit_code, 0) << parsed.err;
  EXPECT_EQ(parsed.out, "convsim-comparison-1 2 3\n");
}

TEST_F(CompareCli, OneReplicateSaysItHasNoInterval) {
  const auto result = run_convsim("compare " + shell_quoted(file("base_s1.h5")) + " " + shell_quoted(file("policy_s1.h5")));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(contains(result.out, ", no interval")) << result.out;
  EXPECT_TRUE(contains(result.out, "With one replicate there is no interval")) << result.out;
  EXPECT_FALSE(contains(result.out, "±  ")) << result.out;
}

TEST_F(CompareCli, TheSameRunsTwiceDifferByExactlyZero) {
  const auto result = run_convsim("compare " + replicates("base") + " " + replicates("base") + " --format csv");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // scenario "korea_baseline (base_s1)": effect 0, interval [0, 0].
  EXPECT_TRUE(contains(result.out, "korea_baseline (base_s1),korea_baseline,3,3,2000,")) << result.out;
  EXPECT_TRUE(contains(result.out, ",0,0,0,0,0,")) << result.out;
}

TEST_F(CompareCli, PlotsAndReportAreWritten) {
  TempDir dir;
  const auto result = run_convsim("compare " + both() + " --plot " + shell_quoted(dir / "plots") + " --report " +
                                  shell_quoted(dir / "report.html"));
  ASSERT_EQ(result.exit_code, 0) << result.err << result.out;
  for (const char* name : {"curves_output", "curves_employment", "effect_output", "effect_employment",
                           "sectors_output", "sectors_employment", "levers"}) {
    for (const char* extension : {".png", ".svg"}) {
      const fs::path path = dir / "plots" / (std::string(name) + extension);
      ASSERT_TRUE(fs::exists(path)) << path;
      EXPECT_GT(fs::file_size(path), 2000u) << path;
    }
  }
  EXPECT_EQ(read_text(dir / "plots" / "curves_output.png").substr(1, 3), "PNG");
  EXPECT_TRUE(contains(read_text(dir / "plots" / "effect_output.svg"), "<svg"));
  // The SVGs keep their text (svg.fonttype none): the effect panel names its scenario and says which
  // marker is paired; a lever's axis names the lever and its unit; ticks carry thousands separators.
  const std::string effect_svg = read_text(dir / "plots" / "effect_output.svg");
  EXPECT_TRUE(contains(effect_svg, ">korea_baseline (sectors.health_care.barrier=0.0)</text>")) << "scenario tick";
  EXPECT_TRUE(contains(effect_svg, ">paired</text>"));
  EXPECT_TRUE(contains(effect_svg, ">unpaired</text>"));
  const std::string levers_svg = read_text(dir / "plots" / "levers.svg");
  EXPECT_TRUE(contains(levers_svg, ">barrier [dimensionless]</text>"));
  EXPECT_TRUE(contains(levers_svg, ">regulatory barrier in force (health_care)</text>"));
  EXPECT_TRUE(std::regex_search(read_text(dir / "plots" / "curves_output.svg"), std::regex(">[0-9]{1,3},[0-9]{3}</text>")))
      << "no tick with a thousands separator";
  EXPECT_TRUE(fs::exists(dir / "plots" / "plots.tsv"));
  EXPECT_TRUE(fs::exists(dir / "plots" / "comparison.json"));
  const std::string html = read_text(dir / "report.html");
  EXPECT_TRUE(contains(html, "id=\"horizon-table\""));
  EXPECT_TRUE(contains(html, "Korean ICT-convergence economy 1990-2020"));  // the scenario description
  // The baseline extends scenarios/calibration/korea_calibrated.yaml, whose calibration record the
  // report shows instead of "not calibrated".
  EXPECT_FALSE(contains(html, "not calibrated"));
  EXPECT_TRUE(contains(html, "id=\"calibration-status\""));
  EXPECT_TRUE(contains(html, "method of simulated moments"));
  // The study's caveats, with the calibration's numbers, as a list a reader sees (item 6 of the
  // calibration issue); the whole record stays available, folded.
  EXPECT_TRUE(contains(html, "<ul id=\"calibration-caveats\">\n<li>b_L against the labour share."));
  EXPECT_TRUE(contains(html, "J test of over-identification: J = "));
  EXPECT_TRUE(contains(html, "<details><summary>The whole calibration record</summary>"));
  EXPECT_TRUE(contains(html, "barrier (health_care)"));  // the lever timeline
  std::size_t images = 0;
  for (std::size_t at = html.find("src=\"data:image/png;base64,"); at != std::string::npos;
       at = html.find("src=\"data:image/png;base64,", at + 1)) {
    ++images;
  }
  EXPECT_EQ(images, 7u);
  EXPECT_FALSE(contains(html, "src=\"http")) << "the report must not load anything from outside";
  EXPECT_FALSE(contains(html, "href=\"http"));
  EXPECT_FALSE(fs::exists(dir / "report.html.tmp"));
}

TEST_F(CompareCli, ReportAloneUsesATemporaryPlotFolder) {
  TempDir dir;
  const auto result = run_convsim("compare " + both() + " --report " + shell_quoted(dir / "r.html") + " --format csv");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(contains(read_text(dir / "r.html"), "data:image/png;base64,"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST_F(CompareCli, PythonScriptAloneAgreesWithTheCli) {
  const auto help = run_shell(python() + " " + shell_quoted(plots_script()) + " --help");
  ASSERT_EQ(help.exit_code, 0) << help.err;
  EXPECT_TRUE(contains(help.out, "--data")) << help.out;
  TempDir dir;
  const auto cli = run_convsim("compare " + both() + " --format json --vars output,employment,firms");
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  write_text(dir / "cli.json", cli.out);
  const auto alone = run_shell(python() + " " + shell_quoted(plots_script()) + " " + both() +
                               " --vars output,employment,firms --quiet --out " + shell_quoted(dir / "plots") +
                               " --write-data " + shell_quoted(dir / "py.json"));
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  EXPECT_TRUE(fs::exists(dir / "plots" / "effect_firms.png"));
  // Every number and label the two computed independently (C++/Boost and numpy) must agree.
  write_text(dir / "check.py", R"py(
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
problems = []
def walk(x, y, path):
    if isinstance(x, dict):
        for key in x:
            if key in ("summary", "argument", "files"):
                continue
            if key not in y:
                problems.append("missing " + path + "/" + key)
            else:
                walk(x[key], y[key], path + "/" + key)
    elif isinstance(x, list):
        if len(x) != len(y):
            problems.append("length " + path)
        for i, (u, v) in enumerate(zip(x, y)):
            walk(u, v, "%s[%d]" % (path, i))
    elif isinstance(x, float) or isinstance(y, float):
        if (x is None) != (y is None) or (x is not None and abs(x - y) > 1e-7 * max(1.0, abs(x), abs(y))):
            problems.append("%s: %r != %r" % (path, x, y))
    elif x != y:
        problems.append("%s: %r != %r" % (path, x, y))
walk(a, b, "")
print("\n".join(problems[:20]))
sys.exit(1 if problems else 0)
)py");
  const auto check = run_shell(python() + " " + shell_quoted(dir / "check.py") + " " + shell_quoted(dir / "py.json") + " " +
                               shell_quoted(dir / "cli.json"));
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST_F(CompareCli, FilesGivenOneByOneAreJoinedAsReplicatesByTheCliAndTheScript) {
  // What the shell makes of an unquoted glob: one argument per file.
  std::string one_by_one;
  for (const char* prefix : {"base", "policy"}) {
    for (int seed = 1; seed <= 3; ++seed) one_by_one += " " + shell_quoted(file(std::string(prefix) + "_s" + std::to_string(seed) + ".h5"));
  }
  const auto cli = run_convsim("compare" + one_by_one + " --format csv");
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_TRUE(contains(cli.out, "korea_baseline (sectors.health_care.barrier=0.0),korea_baseline,3,3,")) << cli.out;
  TempDir dir;
  const auto alone = run_shell(python() + " " + shell_quoted(plots_script()) + one_by_one + " --quiet --formats png --out " +
                               shell_quoted(dir / "plots") + " --write-data " + shell_quoted(dir / "py.json"));
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  const auto count = run_shell(python() + " -c \"import json,sys; d=json.load(open(sys.argv[1])); "
                                          "print([len(s['seeds']) for s in d['scenarios']])\" " + shell_quoted(dir / "py.json"));
  EXPECT_EQ(count.out, "[3, 3]\n") << count.err;
}

TEST_F(CompareCli, BadInputExitsWithTwoAndNamesTheFiles) {
  TempDir dir;
  write_text(dir / "notes.h5", "not a result\n");
  auto result = run_convsim("compare " + replicates("base") + " " + shell_quoted(dir / "notes.h5"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(contains(result.err, "notes.h5")) << result.err;
  EXPECT_TRUE(contains(result.err, "not a convsim result")) << result.err;

  const auto foreign = run_shell(python() + " -c \"import h5py,sys; h5py.File(sys.argv[1],'w').create_dataset('x', "
                                            "data=[1.0])\" " + shell_quoted(dir / "foreign.h5"));
  ASSERT_EQ(foreign.exit_code, 0) << foreign.err;
  result = run_convsim("compare " + replicates("base") + " " + shell_quoted(dir / "foreign.h5"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(contains(result.err, "foreign.h5: not a convsim result")) << result.err;

  const auto shorter = run_convsim("run " + shell_quoted(source_path("scenarios/korea_baseline.yaml")) + " -o " +
                                   shell_quoted(dir / "short.h5") + " --set economy.firms=2000 --set time.end_year=1999 "
                                   "--no-snapshots -q");
  ASSERT_EQ(shorter.exit_code, 0) << shorter.err;
  result = run_convsim("compare " + replicates("base") + " " + shell_quoted(dir / "short.h5"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(contains(result.err, "different time axes")) << result.err;
  EXPECT_TRUE(contains(result.err, "base_s1.h5")) << result.err;
  EXPECT_TRUE(contains(result.err, "short.h5")) << result.err;

  for (const std::string& options : {std::string("--scope sector:fishing"), std::string("--format xml"),
                                     std::string("--horizon 1980"), std::string("--vars jobs"),
                                     std::string("--where nothing=1"), std::string("--confidence 1.5"),
                                     "--report " + shell_quoted(dir / "absent" / "r.html")}) {
    result = run_convsim("compare " + both() + " " + options);
    EXPECT_EQ(result.exit_code, 2) << options << ": " << result.err;
    EXPECT_TRUE(contains(result.err, "convsim: error:")) << options << ": " << result.err;
  }
  result = run_convsim("compare " + replicates("base"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(contains(result.err, "only one scenario")) << result.err;
  result = run_convsim("compare " + replicates("base") + " " + shell_quoted(dir / "missing.h5"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(contains(result.err, "missing.h5: no such result file")) << result.err;
  EXPECT_FALSE(fs::exists(dir / "absent"));
}

// A merged sweep holds both scenarios at two design points; the lever of remove_barriers moves in
// 2015, after these runs end, so its effect must be exactly zero (common random numbers).
TEST(CompareMergedSweep, ReadsMergedSweepsLikeTheirRunFiles) {
  if (run_convsim("sweep --help").exit_code != 0) GTEST_SKIP() << "this convsim has no sweep command";
  TempDir dir;
  write_text(dir / "sweep.yaml",
             "name: compare_sweep\n"
             "scenarios:\n"
             "  baseline: " + source_path("scenarios/korea_baseline.yaml").string() + "\n"
             "  remove_barriers: " + source_path("scenarios/remove_barriers.yaml").string() + "\n"
             "set:\n"
             "  economy.firms: 2000\n"
             "  time.end_year: 2000\n"
             "  output.snapshot_years: []\n"
             "design:\n"
             "  type: grid\n"
             "  parameters:\n"
             "    adoption.peer_effect: [0.2, 0.5]\n"
             "replicates: 3\n"
             "seed: 5\n");
  const auto run = run_convsim("sweep run " + shell_quoted(dir / "sweep.yaml") + " -o " + shell_quoted(dir / "out"));
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const auto merge = run_convsim("merge " + shell_quoted(dir / "out") + " -o " + shell_quoted(dir / "sweep.h5"));
  ASSERT_EQ(merge.exit_code, 0) << merge.out << merge.err;

  auto result = run_convsim("compare " + shell_quoted(dir / "sweep.h5") + " --baseline-scenario baseline");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(contains(result.err, "2 design points")) << result.err;
  EXPECT_TRUE(contains(result.err, "--where adoption.peer_effect=")) << result.err;

  result = run_convsim("compare " + shell_quoted(dir / "sweep.h5") +
                       " --baseline-scenario baseline --where adoption.peer_effect=0.5 --format csv");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(contains(result.out, "remove_barriers [adoption.peer_effect=0.5],baseline [adoption.peer_effect=0.5],3,3,"))
      << result.out;
  EXPECT_TRUE(contains(result.out, ",0,0,0,0,0,")) << result.out;  // exactly zero before the lever moves

  // The same comparison from the per-run files gives the same numbers.
  const auto from_runs = run_convsim("compare " + shell_quoted(dir / "out" / "runs") +
                                     " --baseline-scenario korea_baseline --where adoption.peer_effect=0.5 --format csv");
  ASSERT_EQ(from_runs.exit_code, 0) << from_runs.err;
  auto numbers = [](const std::string& csv) {
    std::string out;
    std::size_t line_start = 0;
    while (line_start < csv.size()) {
      const std::size_t end = csv.find('\n', line_start);
      const std::string line = csv.substr(line_start, end - line_start);
      std::size_t comma = 0;
      for (int field = 0; field < 5 && comma != std::string::npos; ++field) comma = line.find(',', comma + 1);
      out += (comma == std::string::npos ? line : line.substr(comma)) + "\n";
      line_start = end == std::string::npos ? csv.size() : end + 1;
    }
    return out;
  };
  EXPECT_EQ(numbers(result.out), numbers(from_runs.out));

  const auto alone = run_shell(python() + " " + shell_quoted(plots_script()) + " " + shell_quoted(dir / "sweep.h5") +
                               " --baseline-scenario baseline --where adoption.peer_effect=0.5 --quiet --out " +
                               shell_quoted(dir / "plots"));
  EXPECT_EQ(alone.exit_code, 0) << alone.err;
  EXPECT_TRUE(fs::exists(dir / "plots" / "curves_output.png"));
}

}  // namespace
}  // namespace convsim::testing
