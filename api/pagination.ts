import { ApiError } from './errors';

/** Keyset cursor over (created_at, id): stable under concurrent inserts, unlike offsets. */
export function encodeCursor(createdAt: Date | string, id: string): string {
  return Buffer.from(`${new Date(createdAt).toISOString()}|${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const [createdAt, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  // Only the exact form encodeCursor writes: anything else could be a date PostgreSQL rejects.
  if (
    !createdAt ||
    !id ||
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(createdAt) ||
    Number.isNaN(Date.parse(createdAt))
  ) {
    throw ApiError.invalid('invalid_cursor', 'starting_after is not a cursor this API returned', 'starting_after');
  }
  return { createdAt, id };
}

interface ListFilters {
  limit: number;
  starting_after?: string;
  created_gte?: Date;
  created_lte?: Date;
}

/**
 * Builds the WHERE/ORDER/LIMIT tail shared by every list endpoint. `conditions` and `params` hold
 * the caller's own filters; placeholders continue after them. `table` prefixes columns ("c.").
 */
export function pageQuery(q: ListFilters, conditions: string[], params: unknown[], table = '', created = 'created_at') {
  const createdColumn = `${table}${created}`;
  const idColumn = `${table}id`;
  const add = (sql: (n: number) => string, value: unknown) => {
    params.push(value);
    conditions.push(sql(params.length));
  };
  if (q.created_gte) add((n) => `${createdColumn} >= $${n}`, q.created_gte);
  if (q.created_lte) add((n) => `${createdColumn} <= $${n}`, q.created_lte);
  if (q.starting_after) {
    const c = decodeCursor(q.starting_after);
    params.push(c.createdAt, c.id);
    conditions.push(`(${createdColumn}, ${idColumn}) < ($${params.length - 1}::timestamptz, $${params.length})`);
  }
  params.push(q.limit + 1);
  return `WHERE ${conditions.join(' AND ')} ORDER BY ${createdColumn} DESC, ${idColumn} DESC LIMIT $${params.length}`;
}

/** Trims the extra row fetched to learn whether another page exists. */
export function page<T>(rows: T[], limit: number, cursorOf: (row: T) => string) {
  const data = rows.slice(0, limit);
  const hasMore = rows.length > limit;
  const last = data[data.length - 1];
  return { data, has_more: hasMore, next_cursor: hasMore && last ? cursorOf(last) : null };
}
