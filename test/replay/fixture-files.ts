import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { History } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';

export const FIXTURE_ROOT = path.join(__dirname, 'histories');
export const RELEASE_ENV = 'SETTLE_REPLAY_RELEASE';

export interface RecordedHistory {
  release: string;
  workflowType: string;
  workflowId: string;
  history: History;
}

/** Every recorded history of every release, oldest release first. */
export function recordedHistories(): RecordedHistory[] {
  return readdirSync(FIXTURE_ROOT)
    .sort()
    .flatMap((release) =>
      readdirSync(path.join(FIXTURE_ROOT, release))
        .filter((f) => f.endsWith('.pb'))
        .sort()
        .map((file) => {
          const [, workflowType, workflowId] = /^(.+)-\d+--(.+)\.pb$/.exec(file)!;
          return {
            release,
            workflowType: workflowType!,
            workflowId: decodeURIComponent(workflowId!),
            history: temporal.api.history.v1.History.decode(readFileSync(path.join(FIXTURE_ROOT, release, file))),
          };
        }),
    );
}
