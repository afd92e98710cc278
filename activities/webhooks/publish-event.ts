import type { Pool, PoolClient } from 'pg';
import type { PublishEventInput } from '../../domain/events';
import { derivedId } from '../../domain/ids';

export interface PublishedEvent {
  id: string;
  body: string;
}

/**
 * Stores an event under an id derived from its object, type and lifecycle position, so the
 * workflow's retries (or a replay after a crash) publish the same event, never a second one.
 */
export function createStoreEvent(pool: Pool) {
  return async function storeEvent(
    input: PublishEventInput,
    now: Date = new Date(),
    db: Pool | PoolClient = pool,
  ): Promise<PublishedEvent> {
    const id = derivedId(
      'evt',
      input.objectType,
      input.objectId,
      input.type,
      String(input.sequence),
      ...(input.lifecycleKey ? [input.lifecycleKey] : []),
    );
    // Serialized once; every delivery sends these exact bytes. Compact JSON so the seed's
    // JSON.stringify(req.body)-based verification reproduces them.
    const body = JSON.stringify({
      id,
      event: input.type,
      created: Math.floor(now.getTime() / 1000),
      livemode: input.livemode,
      data: input.data,
    });
    const inserted = await db.query<{ body: string }>(
      `INSERT INTO events (id, merchant_id, livemode, type, object_type, object_id, sequence, body, callback_url)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)
       ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id RETURNING body`,
      [
        id,
        input.merchantId,
        input.livemode,
        input.type,
        input.objectType,
        input.objectId,
        input.sequence,
        body,
        input.callbackUrl ?? null,
      ],
    );
    return { id, body: inserted.rows[0]?.body ?? body };
  };
}
