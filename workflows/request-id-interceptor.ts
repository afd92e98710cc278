import type { Payload } from '@temporalio/common';
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { REQUEST_ID_HEADER } from '../domain/request-id';

type Headers = Record<string, Payload>;

/**
 * Carries the request id a workflow was started (or last signalled or updated) with on to the
 * activities and child workflows it schedules. Headers are not part of a workflow's commands, so
 * this changes nothing on replay. Loaded into the bundle as a workflow interceptor module.
 */
export const interceptors: WorkflowInterceptorsFactory = () => {
  let requestId: Payload | undefined;
  const adopt = (headers: Headers) => {
    if (headers[REQUEST_ID_HEADER]) requestId = headers[REQUEST_ID_HEADER];
  };
  const stamp = <T extends { headers: Headers }>(input: T): T =>
    requestId ? { ...input, headers: { ...input.headers, [REQUEST_ID_HEADER]: requestId } } : input;
  return {
    inbound: [
      {
        execute: (input, next) => (adopt(input.headers), next(input)),
        handleSignal: (input, next) => (adopt(input.headers), next(input)),
        handleUpdate: (input, next) => (adopt(input.headers), next(input)),
      },
    ],
    outbound: [
      {
        scheduleActivity: (input, next) => next(stamp(input)),
        scheduleLocalActivity: (input, next) => next(stamp(input)),
        startChildWorkflowExecution: (input, next) => next(stamp(input)),
        signalWorkflow: (input, next) => next(stamp(input)),
        continueAsNew: (input, next) => next(stamp(input)),
      },
    ],
  };
};
