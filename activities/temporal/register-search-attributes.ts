import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { status } from '@grpc/grpc-js';
import { ALL_SEARCH_ATTRIBUTES } from '../../domain/search-attributes';

const INDEXED_TYPE = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  BOOL: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
} as const;

/**
 * Registers Settle's custom search attributes on a namespace. A fresh cluster (or the time-skipping
 * server) knows none of them, and a workflow that sets an unknown one fails. One call per attribute,
 * because the time-skipping server cannot list them and an existing one fails the whole call.
 */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  for (const key of ALL_SEARCH_ATTRIBUTES) {
    try {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: { [key.name]: INDEXED_TYPE[key.type as keyof typeof INDEXED_TYPE] },
      });
    } catch (err) {
      if ((err as { code?: number }).code !== status.ALREADY_EXISTS) throw err;
    }
  }
}
