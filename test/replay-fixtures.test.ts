import { readFileSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import * as workflows from '../workflows';
import { recordedHistories } from './replay/fixture-files';

/**
 * Workflow types added since the newest recorded release: no running workflow can have their
 * history yet. The recorder runs them; empty this list when the next release is recorded.
 */
const UNRELEASED_WORKFLOW_TYPES = ['reconciliationWorkflow', 'payoutWorkflow', 'webhookBacklogWorkflow'];

/**
 * Histories recorded by earlier releases' code (test/replay/histories/<release>/) must replay on
 * today's workflow code: a change that alters what a running workflow does without `patched()`
 * fails here, before it reaches a deployment with workflows in flight.
 */
describe('replaying earlier releases', () => {
  const recorded = recordedHistories();
  const releases = [...new Set(recorded.map((r) => r.release))];

  test('the newest release recorded a history for every workflow type', () => {
    const newest = releases.at(-1);
    const types = new Set(recorded.filter((r) => r.release === newest).map((r) => r.workflowType));
    UNRELEASED_WORKFLOW_TYPES.forEach((t) => types.add(t));
    expect([...types].sort()).toEqual(Object.keys(workflows).sort());
  });

  test.each(releases)(
    'when the histories recorded by %s are replayed on the current code, then none diverges',
    async (release) => {
      const bundle = { code: readFileSync(process.env.SETTLE_TEST_WORKFLOW_BUNDLE!, 'utf8') };
      const histories = recorded
        .filter((r) => r.release === release)
        .map((r) => ({ workflowId: r.workflowId, history: r.history }));
      const failures: string[] = [];
      let replayed = 0;
      for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
        replayed++;
        if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
      }
      expect(failures).toEqual([]);
      expect(replayed).toBe(histories.length);
    },
  );
});
