// convsim facts end to end on a small real run: the JSON has every fact with name, value, low, high
// and ok; the table has one row per fact; a result without snapshot pairs and bad options exit 2.
// Whether today's model passes the ranges is not asserted here.
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace convsim {
namespace {

using testing::contains;
using testing::run_convsim;
using testing::run_shell;
using testing::source_path;
using testing::TempDir;
using testing::write_text;

const std::string kBaseline = "'" + source_path("scenarios/korea_baseline.yaml").string() + "'";
const std::string kSmall = " --set economy.firms=3000 --set time.end_year=2000 --quiet";

const char* const kFactNames[] = {"growth_rate_shape_b",       "growth_rate_width_a",
                                  "growth_sd_size_slope",      "zipf_exponent",
                                  "productivity_dispersion_90_10", "output_growth_volatility",
                                  "output_growth_autocorrelation", "sector_comovement",
                                  "exit_rate_young_old_ratio", "labour_share",
                                  "employment_within_labour_force"};

class FactsCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    const auto r = run_convsim("run " + kBaseline + kSmall + " --set output.snapshot_years=[1999,2000] -o '" +
                               (*dir_ / "pairs.h5").string() + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto none = run_convsim("run " + kBaseline + kSmall + " --set output.snapshot_years=[] -o '" +
                                  (*dir_ / "none.h5").string() + "'");
    ASSERT_EQ(none.exit_code, 0) << none.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string path(const std::string& name) { return "'" + (*dir_ / name).string() + "'"; }
  static TempDir* dir_;
};

TempDir* FactsCli::dir_ = nullptr;

TEST_F(FactsCli, JsonHasEveryFactWithItsFiveFields) {
  const auto r = run_convsim("facts " + path("pairs.h5") + " --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  write_text(*dir_ / "facts.json", r.out);
  // Checked by Python's json module: an independent parser.
  std::string names = "[";
  for (const char* name : kFactNames) names += std::string("'") + name + "',";
  names += "]";
  write_text(*dir_ / "check.py",
             "import json, sys\n"
             "doc = json.load(open(sys.argv[1]))\n"
             "facts = doc['facts'] if isinstance(doc, dict) else doc\n"
             "assert [f['name'] for f in facts] == " + names + ", [f['name'] for f in facts]\n"
             "for f in facts:\n"
             "    for key in ('name', 'value', 'low', 'high', 'ok'):\n"
             "        assert key in f, (f['name'], key)\n"
             "    assert isinstance(f['ok'], bool) and isinstance(f['low'], (int, float)) and isinstance(f['high'], (int, float))\n"
             "    assert f['low'] <= f['high'], f\n"
             "    if f['value'] is None:\n"
             "        assert not f['ok'] and 'not measurable' in f['detail'], f\n"
             "    elif f['name'] not in ('zipf_exponent', 'employment_within_labour_force'):\n"
             "        assert f['ok'] == (f['low'] <= f['value'] <= f['high']), f\n"
             "    assert f['source'], f\n"
             "print(sum(f['value'] is not None for f in facts))\n");
  const auto check = run_shell(std::string(CONVSIM_SYSTEM_PYTHON) + " " + path("check.py") + " " + path("facts.json"));
  ASSERT_EQ(check.exit_code, 0) << check.err << "\n" << r.out;
  // The series facts are measurable on any run of this length.
  EXPECT_GE(std::stoi(check.out), 4) << r.out;
  EXPECT_TRUE(contains(r.out, "\"name\": \"output_growth_volatility\",\n      \"value\": 0.")) << r.out;
}

TEST_F(FactsCli, TableHasOneAlignedRowPerFact) {
  const auto r = run_convsim("facts " + path("pairs.h5") + " --year-from 1990 --year-to 2000");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::size_t column = std::string::npos;
  for (const char* name : kFactNames) {
    const auto at = r.out.find(std::string("\n") + name + " ");
    ASSERT_NE(at, std::string::npos) << name << "\n" << r.out;
    const auto end = r.out.find('\n', at + 1);
    const std::string row = r.out.substr(at + 1, end - at - 1);
    EXPECT_TRUE(row.size() > 4 && (row.ends_with("  OK") || row.ends_with("FAIL"))) << row;
    const auto range = row.find('[');
    ASSERT_NE(range, std::string::npos) << row;
    if (column == std::string::npos) column = range;
    EXPECT_EQ(range, column) << "ranges not aligned:\n" << r.out;
  }
  EXPECT_TRUE(contains(r.out, "facts inside their range")) << r.out;
}

TEST_F(FactsCli, ResultWithoutSnapshotsExitsTwoSayingWhatIsMissing) {
  const auto r = run_convsim("facts " + path("none.h5"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_TRUE(contains(r.err, (*dir_ / "none.h5").string() + ": key '/firms'")) << r.err;
  EXPECT_TRUE(contains(r.err, "two consecutive years")) << r.err;
  EXPECT_TRUE(contains(r.err, "output.snapshot_years")) << r.err;
}

TEST_F(FactsCli, BadOptionsAndFilesExitTwo) {
  auto r = run_convsim("facts " + path("pairs.h5") + " --format xml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "--format")) << r.err;
  r = run_convsim("facts " + path("pairs.h5") + " --year-from 2000 --year-to 1995");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "--year-from")) << r.err;
  r = run_convsim("facts " + path("pairs.h5") + " --year-from 1990 --year-to 1999");  // 2000 snapshot left out
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "/firms")) << r.err;
  r = run_convsim("facts " + path("missing.h5"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "missing.h5")) << r.err;
}

}  // namespace
}  // namespace convsim
