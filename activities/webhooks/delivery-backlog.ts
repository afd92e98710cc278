import type { Client } from '@temporalio/client';
import type { Pool, PoolClient } from 'pg';
import { workflowIds } from '../../domain/workflow-ids';
import { SA } from '../../domain/search-attributes';
import { webhookTaskQueue } from '../../domain/task-queues';
import {
  webhookBacklogSignal,
  webhookEnqueueSignal,
  type WebhookBacklogWake,
  type WebhookQueueInput,
} from '../../domain/webhooks';
import { crashPoint } from '../crash-points';
import { inTransaction } from '../db/pool';

/** One delivery waiting for its merchant's slots: an event to one target. */
export interface BacklogItem {
  deliveryId: string;
  merchantId: string;
  livemode: boolean;
  targetId: string;
  objectId: string;
  eventId: string;
  requestId: string;
}

interface BacklogRow {
  delivery_id: string;
  merchant_id: string;
  livemode: boolean;
  target_id: string;
  object_id: string;
  event_id: string;
  request_id: string;
}

/** What a release did: it handed `handed` deliveries over, and `parked` of the merchant's still wait. */
export interface Released {
  handed: number;
  parked: number;
}

/** The next round of a merchant's releases in this process, which callers arriving meanwhile wait for. */
interface NextRound {
  /** One of its callers added deliveries: if some stay parked, the owner must know. */
  added: boolean;
  done: Promise<Released>;
  settle: (result: Released | Error) => void;
}

/** Rounds of a merchant's releases running in this process: `next` is there once a caller waits for another. */
interface Rounds {
  next?: NextRound;
}

function nextRound(added: boolean): NextRound {
  let settle!: NextRound['settle'];
  const done = new Promise<Released>((resolve, reject) => {
    settle = (result) => (result instanceof Error ? reject(result) : resolve(result));
  });
  return { added, done, settle };
}

/**
 * A delivery handed to its queue counts against its merchant's slots until its first attempt takes
 * one, or until this long has passed (its queue may be busy with an earlier event's retries).
 */
const HANDED_COUNTS_FOR_SECONDS = 60;
/** Queues signalled at once: an account with many endpoints must not fire a burst of starts at Temporal. */
const HAND_PARALLELISM = 4;

/**
 * Webhook work is dispatched fairly between merchants (Temporal task queue fairness, on when the
 * server has matching.enableFairness): one merchant's backlog of deliveries does not queue another
 * merchant's behind it. Activities inherit it from their workflow.
 */
const merchantFairness = (merchantId: string) => ({ fairnessKey: merchantId });

/**
 * Deliveries wait in PostgreSQL until their merchant has a delivery slot for them, and only then
 * is their (target, object) queue workflow started or signalled. A merchant whose receivers hang
 * thus costs the Temporal server a workflow per slot it frees, not one per delivery at once, each
 * waking only to be told to wait: on one server those writes are what other merchants' invoice
 * starts queue behind. A merchant whose receivers answer never waits here: its slots are free.
 *
 * Releases of one merchant are serialized by an advisory lock and hand deliveries over in the order
 * they were added, so an object's events still reach each target in their lifecycle order. A
 * delivery is marked handed in the transaction that follows its signal: a crash in between hands it
 * again, which its queue ignores. Whenever deliveries stay parked, the merchant's backlog workflow
 * (webhookBacklogWorkflow) owns them and releases them if no freed slot does first.
 */
export class DeliveryBacklog {
  constructor(
    private readonly pool: Pool,
    private readonly client: Client,
    private readonly baseTaskQueue: string,
    /** The merchant's delivery slots (SETTLE_WEBHOOK_CONCURRENCY_PER_MERCHANT); only releasing needs it. */
    private readonly perMerchant = 0,
  ) {}

  private readonly releasing = new Map<string, Rounds>();

  /**
   * Adds deliveries (adding one again is harmless), releases what the merchant's free slots allow,
   * and makes sure whatever stays parked has its owner. All items must be of one merchant.
   */
  async enqueue(items: BacklogItem[]): Promise<void> {
    const merchantId = items[0]?.merchantId;
    if (!merchantId) return;
    await this.add(items);
    await this.drain(merchantId, true);
  }

  /**
   * Adds deliveries and leaves their release to the merchant's backlog workflow, at once: for a
   * process that does not know the merchants' slot counts (the API's resends).
   */
  async park(items: BacklogItem[]): Promise<void> {
    const merchantId = items[0]?.merchantId;
    if (!merchantId) return;
    await this.add(items);
    await this.wakeOwner(merchantId, true);
  }

  private async add(items: BacklogItem[]): Promise<void> {
    await this.pool.query(
      `INSERT INTO webhook_backlog (delivery_id, merchant_id, livemode, target_id, object_id, event_id, request_id)
       SELECT d, m, l, tg, o, e, r
         FROM unnest($1::text[], $2::text[], $3::boolean[], $4::text[], $5::text[], $6::text[], $7::text[])
              WITH ORDINALITY AS t(d, m, l, tg, o, e, r, n)
        ORDER BY n
       ON CONFLICT (delivery_id) DO NOTHING`,
      [
        items.map((i) => i.deliveryId),
        items.map((i) => i.merchantId),
        items.map((i) => i.livemode),
        items.map((i) => i.targetId),
        items.map((i) => i.objectId),
        items.map((i) => i.eventId),
        items.map((i) => i.requestId),
      ],
    );
  }

  /** The owner's release: hands the merchant's oldest parked deliveries to their queues while it has free slots. */
  async release(merchantId: string): Promise<Released> {
    return this.drain(merchantId, false);
  }

  /** After an attempt gave its slot back: hands it to the merchant's oldest parked delivery, if one waits. */
  async releaseFreedSlot(merchantId: string): Promise<void> {
    const parked = await this.pool.query('SELECT 1 FROM webhook_backlog WHERE merchant_id = $1 AND released_at IS NULL LIMIT 1', [
      merchantId,
    ]);
    if (parked.rowCount) await this.drain(merchantId, false);
  }

  /**
   * Releases of one merchant take turns: across processes on an advisory lock, and within this one
   * as rounds that callers wait for, one after another. A caller arriving during a round waits for
   * the next, which starts after it came and so sees its deliveries: they are handed over, or left
   * parked with an owner, before it returns. A burst of one merchant's publishes thus waits on one
   * connection, not one each (which would let a merchant hold every connection of a worker's pool),
   * and no caller waits more than about two rounds however busy the merchant is.
   */
  private drain(merchantId: string, added: boolean): Promise<Released> {
    if (this.perMerchant < 1) throw new Error("releasing deliveries needs the merchants' slot count");
    const running = this.releasing.get(merchantId);
    if (running) {
      running.next ??= nextRound(false);
      running.next.added ||= added;
      return running.next.done;
    }
    const first = nextRound(added);
    const rounds: Rounds = { next: first };
    this.releasing.set(merchantId, rounds);
    void this.runRounds(merchantId, rounds);
    return first.done;
  }

  private async runRounds(merchantId: string, rounds: Rounds): Promise<void> {
    for (let round = rounds.next; round; round = rounds.next) {
      rounds.next = undefined;
      try {
        const released = await inTransaction(this.pool, (db) => this.releaseRound(db, merchantId));
        if (released.parked > 0 && round.added) await this.wakeOwner(merchantId, false);
        round.settle(released);
      } catch (err) {
        round.settle(err instanceof Error ? err : new Error(String(err)));
      }
    }
    // In the same synchronous step as finding no caller waiting: a later one starts rounds of its own.
    this.releasing.delete(merchantId);
  }

  /** One round, holding the merchant's lock until the deliveries it handed over are marked so. */
  private async releaseRound(db: PoolClient, merchantId: string): Promise<{ handed: number; parked: number }> {
    await db.query(`SELECT pg_advisory_xact_lock(hashtextextended('webhook_backlog:' || $1, 0))`, [merchantId]);
    // One statement: handed deliveries stop counting once their attempt has been made (or never
    // will be); the merchant's live leases and the handed deliveries still without one are its busy
    // slots; the oldest parked deliveries fill the free ones.
    const rows = await db.query<Partial<BacklogRow> & { busy: number; parked: number }>(
      `WITH spent AS (
         DELETE FROM webhook_backlog b WHERE b.merchant_id = $1 AND b.released_at IS NOT NULL
            AND (b.released_at < now() - make_interval(secs => $2)
                 OR EXISTS (SELECT 1 FROM webhook_deliveries d
                             WHERE d.id = b.delivery_id AND (d.attempt_count > 0 OR d.status <> 'pending')))
         RETURNING b.delivery_id),
       busy AS (
         SELECT ((SELECT count(*) FROM webhook_delivery_slots WHERE merchant_id = $1 AND expires_at > now())
               + (SELECT count(*) FROM webhook_backlog b
                   WHERE b.merchant_id = $1 AND b.released_at IS NOT NULL
                     AND b.delivery_id NOT IN (SELECT delivery_id FROM spent)
                     AND NOT EXISTS (SELECT 1 FROM webhook_delivery_slots s
                                      WHERE s.merchant_id = $1 AND s.delivery_id = b.delivery_id AND s.expires_at > now())))::int AS n)
       SELECT busy.n AS busy,
              (SELECT count(*)::int FROM webhook_backlog WHERE merchant_id = $1 AND released_at IS NULL) AS parked,
              due.*
         FROM busy LEFT JOIN LATERAL (
           SELECT delivery_id, merchant_id, livemode, target_id, object_id, event_id, request_id FROM webhook_backlog
            WHERE merchant_id = $1 AND released_at IS NULL ORDER BY seq LIMIT greatest(0, $3::int - busy.n)
         ) due ON true`,
      [merchantId, HANDED_COUNTS_FOR_SECONDS, this.perMerchant],
    );
    const { parked } = rows.rows[0]!;
    const due = rows.rows.filter((r): r is BacklogRow & { busy: number; parked: number } => r.delivery_id != null);
    await this.hand(due);
    if (due.length) {
      crashPoint('webhook.after-hand');
      await db.query('UPDATE webhook_backlog SET released_at = now() WHERE delivery_id = ANY($1)', [
        due.map((r) => r.delivery_id),
      ]);
    }
    return { handed: due.length, parked: parked - due.length };
  }

  /** Signals each delivery to its queue, starting the queue on first use; one queue's deliveries one after another, in order. */
  private async hand(rows: BacklogRow[]): Promise<void> {
    const byQueue = new Map<string, BacklogRow[]>();
    for (const row of rows) {
      const id = workflowIds.webhookQueue(row.target_id, row.object_id);
      byQueue.set(id, [...(byQueue.get(id) ?? []), row]);
    }
    const queues = [...byQueue.entries()];
    for (let i = 0; i < queues.length; i += HAND_PARALLELISM) {
      await Promise.all(
        queues.slice(i, i + HAND_PARALLELISM).map(async ([workflowId, items]) => {
          for (const row of items) await this.signalQueue(workflowId, row);
        }),
      );
    }
  }

  private async signalQueue(workflowId: string, row: BacklogRow): Promise<void> {
    const input: WebhookQueueInput = { targetId: row.target_id, objectId: row.object_id };
    await this.client.workflow.signalWithStart('webhookDeliveryWorkflow', {
      workflowId,
      taskQueue: webhookTaskQueue(this.baseTaskQueue),
      args: [input],
      signal: webhookEnqueueSignal,
      signalArgs: [{ eventId: row.event_id, requestId: row.request_id }],
      staticSummary: `Webhooks of ${row.object_id} to ${row.target_id}`,
      priority: merchantFairness(row.merchant_id),
      typedSearchAttributes: [
        { key: SA.merchantId, value: row.merchant_id },
        { key: SA.livemode, value: row.livemode },
      ],
    });
  }

  /**
   * Starts the merchant's backlog workflow, or tells the running one that more is parked; `now`
   * asks it to release them at once rather than when it next looks.
   */
  private async wakeOwner(merchantId: string, now: boolean): Promise<void> {
    const wake: WebhookBacklogWake = { now };
    await this.client.workflow.signalWithStart('webhookBacklogWorkflow', {
      workflowId: workflowIds.webhookBacklog(merchantId),
      taskQueue: webhookTaskQueue(this.baseTaskQueue),
      args: [merchantId],
      signal: webhookBacklogSignal,
      signalArgs: [wake],
      staticSummary: `Webhook deliveries of ${merchantId} waiting for its delivery slots`,
      priority: merchantFairness(merchantId),
      typedSearchAttributes: [{ key: SA.merchantId, value: merchantId }],
    });
  }
}
