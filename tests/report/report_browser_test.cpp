// Renders the HTML report of `convsim compare` in headless Chromium (Debian `chromium`): the page
// must load from the single file with no network, show the horizon table and every plot, and
// make a non-trivial screenshot in which the plots' colours appear. Skipped where Chromium is
// absent (install it with scripts/install-deps.sh).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace convsim::testing {
namespace {

namespace fs = std::filesystem;

std::string shell_quoted(const std::string& text) { return "'" + text + "'"; }
std::string shell_quoted(const fs::path& path) { return shell_quoted(path.string()); }

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

// The Chromium executable, or "" when none is installed.
std::string chromium() {
  for (const char* candidate : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (fs::exists(candidate)) return candidate;
  }
  return "";
}

// Chromium started as the issue says: headless, no sandbox (root in a container), no GPU, no
// network services, a fresh profile.
std::string chromium_command(const std::string& browser, const fs::path& profile) {
  return "timeout 180 " + shell_quoted(browser) +
         " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
         " --disable-component-update --disable-sync --user-data-dir=" +
         shell_quoted(profile);
}

TEST(ReportBrowser, ChromiumShowsThePlotsAndTheTable) {
  const std::string browser = chromium();
  if (browser.empty()) GTEST_SKIP() << "chromium is not installed (bash scripts/install-deps.sh)";
  TempDir dir;
  const std::string scenario = shell_quoted(source_path("scenarios/korea_baseline.yaml"));
  const std::string small = " --set economy.firms=2000 --set time.end_year=2000 --no-snapshots -q";
  for (int seed = 1; seed <= 3; ++seed) {
    const std::string s = std::to_string(seed);
    auto run = run_convsim("run " + scenario + " -o " + shell_quoted(dir / ("base_s" + s + ".h5")) + small +
                           " --set seed=" + s);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    run = run_convsim("run " + scenario + " -o " + shell_quoted(dir / ("policy_s" + s + ".h5")) + small +
                      " --set sectors.health_care.barrier=0.0 --set seed=" + s);
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }
  const fs::path report = dir / "report.html";
  const auto compare = run_convsim("compare " + shell_quoted(dir / "base_s*.h5") + " " +
                                   shell_quoted(dir / "policy_s*.h5") + " --report " + shell_quoted(report));
  ASSERT_EQ(compare.exit_code, 0) << compare.err;
  ASSERT_TRUE(fs::exists(report));
  const std::string url = "file://" + report.string();

  // The DOM after loading: seven plots as embedded PNG data, the table, the scenario labels.
  const auto dom = run_shell(chromium_command(browser, dir / "profile-dom") + " --dump-dom " + shell_quoted(url));
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  EXPECT_EQ(count_of(dom.out, "<img "), 7u) << dom.out.substr(0, 2000);
  EXPECT_EQ(count_of(dom.out, "src=\"data:image/png;base64,iVBORw0KGgo"), 7u);  // base64 of the PNG signature
  EXPECT_TRUE(contains(dom.out, "id=\"horizon-table\""));
  EXPECT_TRUE(contains(dom.out, "korea_baseline (sectors.health_care.barrier=0.0)"));
  EXPECT_TRUE(contains(dom.out, "Key findings"));
  EXPECT_TRUE(contains(dom.out, "Calibration status of the baseline"));
  EXPECT_GE(count_of(dom.out, "<tr"), 5u);

  // The screenshot: 1280 x 2000, not blank, and the plots' red (#d1495b) is on it.
  const fs::path screenshot = dir / "report.png";
  const auto shot = run_shell(chromium_command(browser, dir / "profile-shot") + " --screenshot=" +
                              shell_quoted(screenshot) + " --window-size=1280,2000 " + shell_quoted(url));
  ASSERT_EQ(shot.exit_code, 0) << shot.err;
  ASSERT_TRUE(fs::exists(screenshot));
  EXPECT_GT(fs::file_size(screenshot), 50'000u);
  write_text(dir / "screenshot_pixels.py", R"py(
import sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.image as image
import numpy as np
pixels = image.imread(sys.argv[1])[:, :, :3]
height, width = pixels.shape[:2]
not_white = float((pixels.sum(axis=2) < 2.9).mean())
red = np.abs(pixels - np.array([0xd1, 0x49, 0x5b]) / 255.0).max(axis=2) < 0.08
print(width, height, round(not_white, 4), int(red.sum()))
)py");
  const auto inspect = run_shell(std::string(CONVSIM_SYSTEM_PYTHON) + " " + shell_quoted(dir / "screenshot_pixels.py") + " " +
                                 shell_quoted(screenshot));
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  int width = 0;
  int height = 0;
  double not_white = 0;
  long red = 0;
  ASSERT_EQ(std::sscanf(inspect.out.c_str(), "%d %d %lf %ld", &width, &height, &not_white, &red), 4) << inspect.out;
  EXPECT_EQ(width, 1280);
  EXPECT_EQ(height, 2000);
  EXPECT_GT(not_white, 0.03) << "the screenshot is almost blank";
  EXPECT_GT(red, 200) << "no plot colours on the screenshot: the embedded images did not render";
  if (const char* keep = std::getenv("CONVSIM_KEEP_SCREENSHOT"); keep != nullptr && *keep != '\0') {
    fs::copy_file(screenshot, keep, fs::copy_options::overwrite_existing);
  }
}


// A report of four scenarios with parameter draws (whose intervals carry long notes), read in a
// 1280-pixel window: no table, figure or box may reach beyond the page's column (the horizon
// table once spread to 2,500 pixels because a note sat in a cell that did not wrap), and the HTML
// must hold no cut-off tag. In an 800-pixel window the page must not scroll sideways (the
// scenarios table once reached 20-120 pixels past it): wide tables scroll in their own box.
TEST(ReportBrowser, FourScenariosWithDrawsFitThePage) {
  const std::string browser = chromium();
  if (browser.empty()) GTEST_SKIP() << "chromium is not installed (bash scripts/install-deps.sh)";
  TempDir dir;
  const std::string small = " --replicates 4 --set economy.firms=2000 --set time.end_year=2000 --no-snapshots -q";
  std::string files;
  for (const char* name : {"korea_baseline", "remove_barriers", "infrastructure_5g", "smart_work"}) {
    const fs::path out = dir / (std::string(name) + ".h5");
    const auto run = run_convsim("run " + shell_quoted(source_path("scenarios/" + std::string(name) + ".yaml")) +
                                 " -o " + shell_quoted(out) + small);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    files += " " + shell_quoted(out);
  }
  const fs::path report = dir / "report.html";
  const auto compare = run_convsim("compare" + files + " --report " + shell_quoted(report));
  ASSERT_EQ(compare.exit_code, 0) << compare.err;
  std::string html = read_text(report);
  EXPECT_EQ(count_of(html, "</span</"), 0u) << "a cut-off closing tag";
  EXPECT_GE(count_of(html, "class=\"notes\""), 1u) << "the draws' note is not under the table";
  // Open every <details>, then list each element whose right edge passes the body's. In a narrow
  // window a wide table may scroll inside its own `.wide` box; the box itself, everything outside
  // one, and the page (no horizontal scroll bar) must fit.
  const std::string probe = R"js(<script>
for (const d of document.querySelectorAll("details")) d.open = true;
const right = document.body.getBoundingClientRect().right;
const over = [];
for (const e of document.querySelectorAll("table,pre,div,p,ul,ol,figure,details,img")) {
  const inside = e.parentElement && e.parentElement.closest(".wide");
  if (STRICT === 0 && inside) continue;
  const r = e.getBoundingClientRect().right;
  if (r > right + 1) over.push(e.tagName + "#" + e.id + ":" + Math.round(r));
}
const page = document.documentElement;
if (page.scrollWidth > page.clientWidth + 1) over.push("page:" + page.scrollWidth);
document.body.setAttribute("data-overflow", "[" + over.join(" ") + "]");
</script>)js";
  for (const auto& [width, strict] : {std::pair{1280, 1}, std::pair{800, 0}}) {
    std::string probed_html = html;
    std::string script = probe;
    script.replace(script.find("STRICT"), 6, std::to_string(strict));
    probed_html.replace(probed_html.rfind("</body>"), 7, script + "</body>");
    const fs::path probed = dir / ("probed" + std::to_string(width) + ".html");
    write_text(probed, probed_html);
    const auto dom = run_shell(chromium_command(browser, dir / ("profile-fit" + std::to_string(width))) +
                               " --window-size=" + std::to_string(width) + ",2000 --dump-dom " +
                               shell_quoted("file://" + probed.string()));
    ASSERT_EQ(dom.exit_code, 0) << dom.err;
    const auto at = dom.out.find("data-overflow");
    ASSERT_NE(at, std::string::npos) << "the probe did not run";
    EXPECT_TRUE(contains(dom.out, "data-overflow=\"[]\"")) << width << " px: " << dom.out.substr(at, 300);
  }
}

}  // namespace
}  // namespace convsim::testing
