// HDF5 HOOK: placeholder for reading Solow series out of a convsim result file (.h5). The HDF5
// engineer replaces this file with the real reader (output, capital, employment and technology of
// /aggregate or /convergence, years from /time). Until then `convsim solow RESULT.h5` ends with a
// clear bad-input error instead of failing to link.
#include "convsim/analysis/solow.hpp"
#include "convsim/errors.hpp"

namespace convsim::analysis {

SolowData load_solow_data_from_result(const std::filesystem::path& path, const std::string& scope) {
  throw InputError(path.string(), 0, scope,
                   "HDF5 input not available yet: convsim solow reads CSV files for now "
                   "(export the series of '" + scope + "' to CSV)");
}

}  // namespace convsim::analysis
