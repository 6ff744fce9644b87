"""tally.py — the checks a Python test script counts, and the summary line
tests/run.sh adds up ("NAME: N passed, N failed")."""
import sys


class Tally:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, cond, what):
        """Counts cond; says what when it does not hold."""
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("not ok " + what)

    def summary(self, name):
        """Prints the summary line; returns the exit status."""
        print("%s: %d passed, %d failed" % (name, self.passed, self.failed))
        return 1 if self.failed else 0
