import { AsyncLocalStorage } from 'node:async_hooks';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import { defaultPayloadConverter, type Headers } from '@temporalio/common';
import { REQUEST_ID_HEADER } from '../../domain/request-id';

/** The request id of the work running now: an API request, or an activity a request caused. */
export const requestIdContext = new AsyncLocalStorage<string>();

export function withRequestIdHeader(headers: Headers, requestId = requestIdContext.getStore()): Headers {
  return requestId ? { ...headers, [REQUEST_ID_HEADER]: defaultPayloadConverter.toPayload(requestId) } : headers;
}

export function requestIdFromHeaders(headers: Headers | undefined): string | undefined {
  const payload = headers?.[REQUEST_ID_HEADER];
  return payload ? (defaultPayloadConverter.fromPayload(payload) as string) : undefined;
}

/**
 * A Temporal client interceptor that stamps every workflow start, signal and update with the
 * current request id (API requests, and activities that start workflows of their own).
 */
export function requestIdClientInterceptor(): WorkflowClientInterceptor {
  return {
    start: (input, next) => next({ ...input, headers: withRequestIdHeader(input.headers) }),
    startWithDetails: (input, next) => next({ ...input, headers: withRequestIdHeader(input.headers) }),
    signal: (input, next) => next({ ...input, headers: withRequestIdHeader(input.headers) }),
    signalWithStart: (input, next) => next({ ...input, headers: withRequestIdHeader(input.headers) }),
    startUpdate: (input, next) => next({ ...input, headers: withRequestIdHeader(input.headers) }),
    startUpdateWithStart: (input, next) =>
      next({
        ...input,
        workflowStartHeaders: withRequestIdHeader(input.workflowStartHeaders),
        updateHeaders: withRequestIdHeader(input.updateHeaders),
      }),
  };
}
