#!/usr/bin/python3
"""Runs the marked examples of convsim's Markdown docs and checks what they print.

A fenced block preceded by an HTML comment `<!-- doc-test: OPTIONS -->` (invisible on GitHub) is
executed; docs/contributing.md, "Examples that are tested", describes the convention. In short:

  $ command            a command, run with bash in a temporary folder (`convsim` is the built
  output lines         binary; a trailing backslash continues the command); the lines up to the
  $ next command       next `$ ` line are its expected output (stdout and stderr together)
  ...                  a line of only `...` (indented or not) stands for any number of lines

OPTIONS (shell-quoted words, key=value or a bare flag):
  session=NAME    blocks of one file with the same session share one folder, in document order
  files=A,B       repository files or folders copied into the folder first (same relative paths;
                  A:DEST copies A to DEST)
  write=PATH      the block is not run: its text is written to PATH in the folder
  same-as=PATH    the block is not run: its text must equal the repository file PATH
  cmd=COMMAND     the block holds only output: COMMAND (run as above) must print it
  setup=COMMAND   run before the block, output not compared, must exit 0 (repeatable)
  exit=N          every command of the block must exit with N (default 0)
  rel=R, abs=A    numbers may differ by A + R * |expected|; without either, numbers are text
  mask=REGEX      matches of REGEX are replaced by <masked> in expected and actual lines (repeatable)
  ignore=REGEX    lines that REGEX matches (progress logs) are left out on both sides (repeatable)
  stderr=drop     compare stdout only
  slow            run only when CONVSIM_DOC_TESTS=all (ordinary ctest runs skip it, and say so)

Exit code 0 when every block matched, 1 when one did not (each mismatch names the file, the line,
what the doc expects and what the command printed), 2 for a malformed marker.
"""
import argparse
import difflib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile

MARKER = re.compile(r"^<!--\s*doc-test:(.*?)-->\s*$")
FENCE = re.compile(r"^(\s*)(```+|~~~+)(.*)$")
ELLIPSIS = re.compile(r"^\s*(\.\.\.|…)\s*$")
# A number standing on its own (not part of a word or a hex digest): optional sign, digits with
# thousands separators, decimals, exponent. A trailing `x` (a ratio, "399.3x") is allowed.
NUMBER = re.compile(r"(?<![\w.])[+\-−]?\d[\d,]*(?:\.\d+)?(?:[eE][+\-]?\d+)?(?![A-Za-wyz0-9_])")
KNOWN = {"session", "files", "write", "same-as", "cmd", "setup", "exit", "rel", "abs", "mask", "ignore",
         "stderr", "slow", "timeout"}


class MarkerError(Exception):
    pass


class Block:
    def __init__(self, doc, line, options, lines):
        self.doc, self.line, self.options, self.lines = doc, line, options, lines

    def opt(self, key, default=None):
        values = self.options.get(key)
        return values[-1] if values else default

    def where(self, offset=0):
        return f"{self.doc}:{self.line + offset}"


def parse_options(text, where):
    try:
        words = shlex.split(text)
    except ValueError as error:
        raise MarkerError(f"{where}: doc-test marker: {error}")
    options = {}
    for word in words:
        key, _, value = word.partition("=")
        if key not in KNOWN:
            raise MarkerError(f"{where}: doc-test marker: unknown option '{key}' "
                              f"(known: {', '.join(sorted(KNOWN))})")
        options.setdefault(key, []).append(value if "=" in word else "1")
    for key in ("rel", "abs", "exit", "timeout"):
        if key in options:
            try:
                float(options[key][-1])
            except ValueError:
                raise MarkerError(f"{where}: doc-test marker: {key}={options[key][-1]} is not a number")
    for pattern in options.get("mask", []) + options.get("ignore", []):
        try:
            re.compile(pattern)
        except re.error as error:
            raise MarkerError(f"{where}: doc-test marker: mask '{pattern}': {error}")
    return options


def find_blocks(path, display):
    """Every marked block of one Markdown file; `line` is the 1-based line of its first content line."""
    with open(path, encoding="utf-8") as f:
        text = f.read().split("\n")
    blocks, i = [], 0
    while i < len(text):
        m = MARKER.match(text[i])
        if not m:
            fence = FENCE.match(text[i])
            if fence:  # an unmarked block: skip it whole (a marker shown inside it is an example)
                i += 1
                while i < len(text) and not text[i].strip().startswith(fence.group(2)):
                    i += 1
            i += 1
            continue
        where = f"{display}:{i + 1}"
        options = parse_options(m.group(1), where)
        j = i + 1
        fence = FENCE.match(text[j]) if j < len(text) else None
        if not fence:
            raise MarkerError(f"{where}: doc-test marker not followed by a fenced block on the next line")
        indent, ticks = fence.group(1), fence.group(2)
        k = j + 1
        while k < len(text) and not text[k].strip().startswith(ticks):
            k += 1
        if k == len(text):
            raise MarkerError(f"{where}: the fenced block after the doc-test marker never ends")
        body = [line[len(indent):] if line.startswith(indent) else line for line in text[j + 1:k]]
        blocks.append(Block(display, j + 2, options, body))
        i = k + 1
    return blocks


def split_commands(block):
    """[(command, first line offset, [(offset, expected line)])] of a block of `$ ` lines."""
    steps, i, lines = [], 0, block.lines
    while i < len(lines):
        if not lines[i].startswith("$ "):
            if not steps:
                raise MarkerError(f"{block.where(i)}: output before the first '$ ' command "
                                  "(use cmd=... for a block that holds only output)")
            steps[-1][2].append((i, lines[i]))
            i += 1
            continue
        start, command = i, lines[i][2:]
        while command.endswith("\\") and i + 1 < len(lines):
            i += 1
            command = command + "\n" + lines[i]
        steps.append((command, start, []))
        i += 1
    return steps


def normalise(line, masks):
    for pattern in masks:
        line = re.sub(pattern, "<masked>", line)
    return line.rstrip()


def number_value(token):
    return float(token.replace(",", "").replace("−", "-"))


def lines_match(expected, got, rel, abs_tol):
    """True when two (masked) lines agree: text exactly (runs of blanks count as one), numbers
    within the tolerance when one is given and textually otherwise."""
    if rel is None and abs_tol is None:
        return expected == got
    e_text, g_text = NUMBER.split(expected), NUMBER.split(got)
    e_nums, g_nums = NUMBER.findall(expected), NUMBER.findall(got)
    if len(e_nums) != len(g_nums):
        return False
    squash = lambda s: " ".join(s.split())
    if [squash(t) for t in e_text] != [squash(t) for t in g_text]:
        return False
    for e, g in zip(e_nums, g_nums):
        a, b = number_value(e), number_value(g)
        if abs(a - b) > (abs_tol or 0.0) + (rel or 0.0) * abs(a):
            return False
        if (a < 0) != (b < 0) and a != 0 and b != 0:
            return False
    return True


def compare_output(expected, got, rel, abs_tol):
    """None when `got` (a list of lines) matches `expected` ([(offset, line)], `...` lines matching
    any run of lines); otherwise (offset of the expected line, expected text, got text) of the first
    disagreement, the text None where a side has ended."""
    # Search with backtracking over the ellipses (few per block). A mismatch is reported at the
    # expected line that the search got furthest to; where an ellipsis leaves several output lines
    # that could have been that line, at the one most like it.
    furthest = {"expected": -1, "got": []}

    def note(e_index, g_index):
        if e_index > furthest["expected"]:
            furthest["expected"], furthest["got"] = e_index, []
        if e_index == furthest["expected"]:
            furthest["got"].append(g_index)

    seen = set()

    def match(e_index, g_index):
        if (e_index, g_index) in seen:
            return False
        seen.add((e_index, g_index))
        while e_index < len(expected):
            offset, line = expected[e_index]
            if ELLIPSIS.match(line):
                for skip in range(g_index, len(got) + 1):
                    if match(e_index + 1, skip):
                        return True
                return False
            if g_index >= len(got) or not lines_match(line, got[g_index], rel, abs_tol):
                note(e_index, g_index)
                return False
            e_index, g_index = e_index + 1, g_index + 1
        if g_index < len(got):
            note(e_index, g_index)
            return False
        return True

    if match(0, 0):
        return None
    e_index = furthest["expected"]
    e_line = expected[e_index] if e_index < len(expected) else (expected[-1][0] + 1 if expected else 0, None)
    candidates = [g for g in furthest["got"] if g < len(got)]
    if e_line[1] is not None and candidates:
        g_index = max(candidates, key=lambda g: difflib.SequenceMatcher(None, e_line[1], got[g]).ratio())
    else:
        g_index = min(furthest["got"])
    return e_line[0], e_line[1], got[g_index] if g_index < len(got) else None


class Runner:
    def __init__(self, args):
        self.source = os.path.abspath(args.source)
        self.convsim = os.path.abspath(args.convsim) if args.convsim else None
        self.run_slow = os.environ.get("CONVSIM_DOC_TESTS", "") == "all" or args.all
        self.show = args.show
        self.keep = args.keep
        self.sessions = {}
        self.root = tempfile.mkdtemp(prefix="convsim-doc-")
        self.bin = os.path.join(self.root, "bin")
        os.mkdir(self.bin)
        if self.convsim:
            os.symlink(self.convsim, os.path.join(self.bin, "convsim"))
        self.failures = 0
        self.ran = 0
        self.skipped = 0

    def close(self):
        if self.keep:
            print(f"kept the doc-test folders in {self.root}")
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    def folder(self, block):
        session = block.opt("session")
        key = (block.doc, session) if session else None
        if key in self.sessions:
            return self.sessions[key]
        path = tempfile.mkdtemp(prefix="block-", dir=self.root)
        if key:
            self.sessions[key] = path
        return path

    def copy_files(self, block, folder):
        for name in ",".join(block.options.get("files", [])).split(","):
            name = name.strip()
            if not name:
                continue
            name, _, target = name.partition(":")
            src, dst = os.path.join(self.source, name), os.path.join(folder, target or name)
            if not os.path.exists(src):
                raise MarkerError(f"{block.where(-1)}: files={name}: no such file in the repository")
            os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
            if os.path.isdir(src):
                shutil.copytree(src, dst, dirs_exist_ok=True)
            else:
                shutil.copy2(src, dst)

    def execute(self, command, folder, block):
        command = command.replace("build/cli/convsim", "convsim")
        env = dict(os.environ)
        env["PATH"] = self.bin + os.pathsep + env.get("PATH", "")
        env.setdefault("LC_ALL", "C.UTF-8")
        env.pop("CONVSIM_DOC_TESTS", None)
        timeout = float(block.opt("timeout", "600"))
        stderr = subprocess.DEVNULL if block.opt("stderr") == "drop" else subprocess.STDOUT
        # In a session of its own, so that a command that times out is ended with everything it started.
        process = subprocess.Popen(["bash", "-o", "pipefail", "-c", command], cwd=folder, env=env,
                                   stdout=subprocess.PIPE, stderr=stderr, start_new_session=True)
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            return None, [f"<timed out after {timeout:g} s>"]
        text = output.decode("utf-8", errors="replace")
        lines = text.split("\n")
        while lines and not lines[-1].strip():  # blank lines at the end are not shown in a doc
            lines.pop()
        return process.returncode, lines

    def fail(self, where, message, expected=None, got=None, output=None):
        self.failures += 1
        print(f"FAIL {where}: {message}")
        if expected is not None or got is not None:
            print(f"  expected: {expected if expected is not None else '<no more lines>'}")
            print(f"  got:      {got if got is not None else '<no more lines>'}")
        if output is not None:
            print("  the command printed:")
            for line in output:
                print(f"    {line}")

    def run_block(self, block):
        if block.opt("slow") and not self.run_slow:
            self.skipped += 1
            print(f"skip {block.where(-1)}: marked slow (CONVSIM_DOC_TESTS=all runs it)")
            return
        folder = self.folder(block)
        self.copy_files(block, folder)
        failures_before = self.failures
        for setup in block.options.get("setup", []):
            code, out = self.execute(setup, folder, block)
            if code != 0:
                self.fail(block.where(-1), f"setup '{setup}' exited {code}", output=out)
                return
        if block.opt("same-as"):
            path = os.path.join(self.source, block.opt("same-as"))
            with open(path, encoding="utf-8") as f:
                actual = f.read().split("\n")
            if actual and actual[-1] == "":
                actual.pop()
            mismatch = compare_output(list(enumerate(block.lines)), actual, None, None)
            if mismatch:
                offset, e, g = mismatch
                self.fail(block.where(offset), f"differs from {block.opt('same-as')}", e, g)
        elif block.opt("write"):
            path = os.path.join(folder, block.opt("write"))
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(block.lines) + "\n")
        else:
            if block.opt("cmd"):
                steps = [(block.opt("cmd"), -1, list(enumerate(block.lines)))]
            else:
                steps = split_commands(block)
                if not steps:
                    raise MarkerError(f"{block.where(-1)}: a doc-test block without '$ ' commands "
                                      "needs cmd=, write= or same-as=")
            masks = block.options.get("mask", [])
            rel = float(block.opt("rel")) if block.opt("rel") else None
            abs_tol = float(block.opt("abs")) if block.opt("abs") else None
            want_code = int(float(block.opt("exit", "0")))
            for command, offset, expected in steps:
                code, out = self.execute(command, folder, block)
                if self.show:
                    print(f"---- {block.where(offset)}: $ {command}")
                    print("\n".join(out))
                if code is None:
                    self.fail(block.where(offset), f"'{command}' {out[0][1:-1]}")
                    continue
                if code != want_code:
                    self.fail(block.where(offset), f"'{command}' exited {code}, expected {want_code}",
                              output=out)
                    continue
                ignored = [re.compile(pattern) for pattern in block.options.get("ignore", [])]
                kept = lambda line: not any(pattern.search(line) for pattern in ignored)
                while expected and not expected[-1][1].strip():
                    expected = expected[:-1]
                mismatch = compare_output([(o, normalise(l, masks)) for o, l in expected if kept(l)],
                                          [normalise(l, masks) for l in out if kept(l)], rel, abs_tol)
                if mismatch:
                    e_offset, e, g = mismatch
                    self.fail(block.where(e_offset), f"output of '{command}' differs", e, g, output=out)
        self.ran += 1
        if self.failures == failures_before:
            print(f"ok   {block.where(-1)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("docs", nargs="+", help="Markdown files (relative to --source, or absolute)")
    parser.add_argument("--source", default=".", help="the repository (for files= and same-as=)")
    parser.add_argument("--convsim", help="the convsim binary that `convsim` in a command runs")
    parser.add_argument("--all", action="store_true", help="also run blocks marked slow")
    parser.add_argument("--show", action="store_true", help="print every command's output")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    args = parser.parse_args()
    runner = Runner(args)
    try:
        blocks = []
        for doc in args.docs:
            path = doc if os.path.isabs(doc) else os.path.join(runner.source, doc)
            found = find_blocks(path, doc)
            if not found:
                raise MarkerError(f"{doc}: no doc-test blocks (nothing would be checked)")
            blocks += found
        for block in blocks:
            runner.run_block(block)
    except MarkerError as error:
        print(f"convsim doc-test: error: {error}", file=sys.stderr)
        runner.close()
        return 2
    runner.close()
    print(f"{runner.ran} blocks run, {runner.failures} mismatches, {runner.skipped} slow blocks skipped")
    return 1 if runner.failures else 0


if __name__ == "__main__":
    sys.exit(main())
