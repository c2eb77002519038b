// Ends every jest run with one plain line of totals, the line CI logs are read for.
class TotalsReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
    // Printed at exit, after jest's own summary, so that it is the last line of the run.
    process.once('exit', () => process.stdout.write(line));
  }
}

module.exports = TotalsReporter;
