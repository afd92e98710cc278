import type { Context } from '@temporalio/activity';
import type { ActivityInterceptors } from '@temporalio/worker';
import { requestIdContext, requestIdFromHeaders } from './request-id-context';

/**
 * Runs each activity inside the request id its workflow carried (so workflows it starts carry it
 * on), adds `request_id` to its log lines, and logs its outcome: at info for work a request caused,
 * at debug for background work (the chain watcher's scans would flood the log).
 */
export function requestIdActivityInterceptor(ctx: Context): ActivityInterceptors {
  let requestId: string | undefined;
  return {
    inbound: {
      async execute(input, next) {
        requestId = requestIdFromHeaders(input.headers);
        const started = Date.now();
        const done = (outcome: string, extra: Record<string, unknown> = {}) =>
          (requestId ? ctx.log.info : ctx.log.debug).call(ctx.log, `activity ${outcome}`, {
            duration_ms: Date.now() - started,
            ...extra,
          });
        try {
          const result = await (requestId ? requestIdContext.run(requestId, () => next(input)) : next(input));
          done('completed');
          return result;
        } catch (err) {
          // The failure's message only: a stack or a cause could carry a URL with credentials.
          done('failed', { error: (err as Error).message?.split('\n')[0] });
          throw err;
        }
      },
    },
    outbound: {
      getLogAttributes: (input, next) => next(requestId ? { ...input, request_id: requestId } : input),
    },
  };
}
