import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { NetworkRegistry } from '../domain/networks';
import type { CheckoutSettings } from './checkout/settings';
import type { ObjectCaps } from './object-caps';
import type { RateLimits } from './rate-limit';

/** What the API needs: a read-mostly database pool and a Temporal client. No key material. */
export interface ApiDeps {
  pool: Pool;
  temporal: Client;
  registry: NetworkRegistry;
  taskQueue: string;
  /** How long an expired invoice's address stays watched for late payments. */
  monitorWindowSeconds: number;
  /** How long a request waits for a workflow step before answering 503; default 30 s. */
  workflowWaitMs?: number;
  /** Hosted checkout; defaults (with a per-process secret) suit tests only. */
  checkout?: Partial<CheckoutSettings>;
  /** Caps on objects per merchant; DEFAULT_OBJECT_CAPS for any left out. */
  objectCaps?: Partial<ObjectCaps>;
  /** Per-key request limits; absent, nothing is limited (tests that measure other things). */
  rateLimits?: RateLimits;
}
