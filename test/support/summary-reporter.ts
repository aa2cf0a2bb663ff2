import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints the run's totals as one plain closing line, `N passed, N failed, N skipped`, so that CI
 * output shows at a glance how many tests actually ran. A test file that failed without a failed
 * test (it did not load, or a beforeAll/afterAll hook failed and its tests were skipped) counts
 * as one failure.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      let failedCases = 0;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failedCases++;
        else skipped++;
      }
      failed += failedCases;
      if (failedCases === 0 && mod.state() === 'failed') failed++;
    }
    failed += unhandledErrors.length;
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
