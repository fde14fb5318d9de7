// The InputError a piece of code must throw, for the unit tests of bad input (kept apart from
// test_support.hpp, which black-box tests of the executable use without linking convsim).
#pragma once

#include <gtest/gtest.h>

#include "convsim/errors.hpp"

namespace convsim::testing {

// The InputError that `action` throws (a test failure, and an empty error, when it throws none).
template <typename Action>
InputError input_error_of(Action&& action) {
  try {
    action();
  } catch (const InputError& error) {
    return error;
  }
  ADD_FAILURE() << "expected a convsim::InputError";
  return InputError("", 0, "", "none thrown");
}

}  // namespace convsim::testing
