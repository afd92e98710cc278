/**
 * Ends the run with one plain `tests: N passed, N failed, N skipped` line. CI judges a run by its
 * closing lines and does not read Jest's own summary, so without this a green run and a run that
 * executed nothing look alike. Written at process exit because Jest always adds its own summary
 * reporter after custom ones, and the global teardown runs after every reporter.
 */
const { writeSync } = require('node:fs');

class PlainSummaryReporter {
  onRunComplete(_contexts, results) {
    const line =
      `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ` +
      `${results.numPendingTests + results.numTodoTests} skipped`;
    process.once('exit', () => writeSync(1, `\n${line}\n`));
  }
}

module.exports = PlainSummaryReporter;
