#!/usr/bin/python3
"""Self-test of run_doc_blocks.py: on fixture Markdown files it passes what matches and reports,
with the file, line, expected and actual text, a changed number, a missing line, an extra line
and a malformed marker."""
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
HARNESS = os.path.join(HERE, "run_doc_blocks.py")


def run(fixture, **env):
    environment = dict(os.environ)
    environment.pop("CONVSIM_DOC_TESTS", None)
    environment.update(env)
    done = subprocess.run([sys.executable, HARNESS, "--source", SOURCE, f"tests/docs/fixtures/{fixture}"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=environment, timeout=120)
    return done.returncode, done.stdout.decode()


class HarnessTest(unittest.TestCase):
    def test_matching_blocks_pass_and_slow_ones_wait_for_the_request(self):
        code, out = run("good.md")
        self.assertEqual(code, 0, out)
        self.assertIn("7 blocks run, 0 mismatches, 1 slow blocks skipped", out)
        self.assertIn("skip tests/docs/fixtures/good.md:61: marked slow", out)
        code, out = run("good.md", CONVSIM_DOC_TESTS="all")
        self.assertEqual(code, 0, out)
        self.assertIn("8 blocks run, 0 mismatches, 0 slow blocks skipped", out)

    def test_a_changed_number_fails_with_file_line_expected_and_got(self):
        code, out = run("wrong_number.md")
        self.assertEqual(code, 1, out)
        # exact block: a digest that differs in one hex digit
        self.assertIn("FAIL tests/docs/fixtures/wrong_number.md:7:", out)
        self.assertIn("  expected: identity 549a7fa1\n  got:      identity 549a7fa0\n", out)
        # a tolerance of 0.1 % does not cover a change of 0.27 %
        self.assertIn("FAIL tests/docs/fixtures/wrong_number.md:13:", out)
        self.assertIn("  expected: employment 3,650,406 persons\n  got:      employment 3,640,406 persons\n", out)
        # after an ellipsis, the output line most like the expected one is shown
        self.assertIn("FAIL tests/docs/fixtures/wrong_number.md:21:", out)
        self.assertIn("  expected: b_L,1.3529335366280267\n  got:      b_L,1.3529335366280266\n", out)
        self.assertIn("3 blocks run, 3 mismatches", out)

    def test_a_missing_line_fails(self):
        code, out = run("missing_line.md")
        self.assertEqual(code, 1, out)
        self.assertIn("FAIL tests/docs/fixtures/missing_line.md:7:", out)
        self.assertIn("  expected: second\n  got:      third\n", out)

    def test_an_extra_line_after_the_last_expected_one_fails(self):
        code, out = run("extra_line.md")
        self.assertEqual(code, 1, out)
        self.assertIn("FAIL tests/docs/fixtures/extra_line.md:9:", out)
        self.assertIn("  expected: <no more lines>\n  got:      5\n", out)

    def test_a_command_that_hangs_is_ended_at_its_timeout(self):
        code, out = run("timeout.md")
        self.assertEqual(code, 1, out)
        self.assertIn("FAIL tests/docs/fixtures/timeout.md:5: 'sleep 60' timed out after 1 s", out)

    def test_a_marker_with_an_unknown_option_is_refused(self):
        code, out = run("bad_marker.md")
        self.assertEqual(code, 2, out)
        self.assertIn("tests/docs/fixtures/bad_marker.md:3: doc-test marker: unknown option 'tolerance'", out)


if __name__ == "__main__":
    unittest.main()
