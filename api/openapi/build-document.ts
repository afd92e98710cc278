import { z } from 'zod';
import {
  CustomerObject,
  DepositObject,
  ErrorBody,
  EventObject,
  EventPayload,
  InvoiceObject,
  SimulatedDepositObject,
  WebhookEndpointObject,
  WithdrawalObject,
  PayoutItemObject,
  PayoutObject,
  RefundObject,
} from '../../domain/api-objects';
import { EVENT_TYPES, type EventType } from '../../domain/events';
import { OPERATIONS, type Operation } from './operations';

/** The two prefixes every route is served under (seed 000 uses /v1, seed 004 /api/v1). */
export const API_PREFIXES = ['/v1', '/api/v1'] as const;

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const document = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  delete document.$schema;
  return document;
}

/** `/invoices/:id` → `/invoices/{id}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

function operationObject(op: Operation, prefix: string) {
  const parameters: JsonSchema[] = [];
  for (const [name, schema] of Object.entries(op.pathParams ?? {})) {
    parameters.push({ name, in: 'path', required: true, schema: jsonSchema(schema, 'input'), description: schema.description });
  }
  if (op.query) {
    const q = jsonSchema(op.query, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, schema] of Object.entries(q.properties ?? {})) {
      const { description, ...rest } = schema;
      parameters.push({
        name,
        in: 'query',
        required: q.required?.includes(name) ?? false,
        schema: rest,
        ...(description ? { description } : {}),
      });
    }
  }
  if (op.idempotent) {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      schema: { type: 'string', minLength: 1, maxLength: 255 },
      description:
        'Within 24 hours, a retry with the same key and body replays the first answer (status and body, with ' +
        '`Idempotent-Replayed: true`) instead of acting twice; the same key with another body is a 409.',
    });
  }

  const success = {
    description: op.response.description,
    content: {
      'application/json': {
        schema: jsonSchema(op.response.schema, 'output'),
        ...(op.response.example ? { example: op.response.example } : {}),
      },
    },
  };
  const suffix = prefix === '/v1' ? '' : 'ApiV1';
  const links = Object.fromEntries(
    Object.entries(op.links ?? {}).map(([target, parameters]) => [target, { operationId: `${target}${suffix}`, parameters }]),
  );
  const responses: Record<string, unknown> = {
    [op.response.status]: Object.keys(links).length ? { ...success, links } : success,
  };
  for (const status of op.alsoStatus ?? [])
    responses[status] = { ...success, description: `${op.response.description} (idempotent replay)` };
  const errors = new Map<number, string[]>([
    [401, ['missing_api_key', 'invalid_api_key', 'api_key_revoked', 'api_key_expired']],
    [403, ['insufficient_scope', 'ip_not_allowed']],
    [429, ['rate_limited']],
    // Any route that reads the database or Temporal while one is restarting; Retry-After says when.
    [503, ['service_unavailable']],
  ]);
  const common = [
    ...op.errors,
    ...(op.idempotent
      ? [
          { status: 400, codes: ['idempotency_key_invalid'] },
          { status: 409, codes: ['idempotency_key_reused', 'idempotency_request_in_progress'] },
        ]
      : []),
    ...(op.body
      ? [
          { status: 400, codes: ['json_too_deep'] },
          { status: 413, codes: ['body_too_large'] },
          { status: 415, codes: ['unsupported_media_type'] },
        ]
      : []),
  ];
  for (const e of common) errors.set(e.status, [...new Set([...(errors.get(e.status) ?? []), ...e.codes])]);
  for (const [status, codes] of [...errors].sort(([a], [b]) => a - b))
    responses[status] = errorResponse(`error.code: ${codes.join(', ')}`);

  return {
    operationId: `${op.operationId}${suffix}`,
    tags: [op.tag],
    summary: op.summary,
    description: [
      op.description,
      `Requires the ${op.scopes.map((s) => `\`${s}\``).join(' and ')} scope${op.scopes.length > 1 ? 's' : ''}.${
        op.testModeOnly ? ' Test mode (sk_test_) keys only.' : ''
      }`,
    ]
      .filter(Boolean)
      .join('\n\n'),
    'x-settle-scopes': op.scopes,
    ...(parameters.length ? { parameters } : {}),
    ...(op.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body, 'input') } } } }
      : {}),
    responses,
  };
}

/** What `data` holds in each event type's payload. */
function eventDataSchema(type: EventType): z.ZodType {
  if (type.startsWith('invoice.')) return InvoiceObject;
  if (type.startsWith('deposit.')) return DepositObject;
  if (type.startsWith('customer.')) return CustomerObject;
  if (type.startsWith('payout.')) return PayoutObject;
  if (type.startsWith('payout_item.')) return PayoutItemObject;
  if (type.startsWith('refund.')) return RefundObject;
  return z.record(z.string(), z.unknown());
}

const EVENT_DESCRIPTIONS: Partial<Record<EventType, string>> = {
  'deposit.detected': 'A new deposit has been detected on-chain (0 confirmations).',
  'deposit.confirming': 'The deposit has at least 1 confirmation but is not yet fully confirmed.',
  'deposit.completed': 'The deposit has reached the required number of confirmations and was credited.',
  'deposit.failed': 'The deposit could not be processed (e.g. a chain reorg removed the transfer).',
  'invoice.paid': 'The invoice received its full amount.',
  'withdrawal.stuck':
    'A transaction of the withdrawal is not mined and more fee would not help or is not allowed: its sender cannot pay (`unfunded`), a lower nonce is missing (`nonce_gap`), or it is underpriced but the gas policy forbids offering more (`gas_policy`). The withdrawal waits; nothing is repriced past the policy. `stuck_reason` says why.',
  'hot_wallet.low_balance':
    'A hot address holds less native coin than its pending transactions need: fund it and the waiting withdrawals continue.',
  'payout.created': 'The payout passed its balance check: its total is reserved.',
  'payout.completed': 'Every item of the payout is final (completed or failed); see items_completed and items_failed.',
  'payout.failed': 'The payout could not gather its funds; nothing was sent and the whole amount is available again.',
  'payout_item.sent': "The item's transfer was signed and broadcast.",
  'payout_item.completed': "The item's transfer is confirmed.",
  'payout_item.failed': "The item's transfer reverted; its amount is available again.",
  'refund.created': 'The refund passed its checks: its amount is reserved.',
  'refund.completed': "The refund's transfer is confirmed.",
  'refund.failed': 'The refund could not be sent or its transfer reverted; its amount is available again.',
};

function webhookObject(type: EventType) {
  const payload = EventPayload.extend({ event: z.literal(type), data: eventDataSchema(type) });
  return {
    post: {
      summary: type,
      description: `${EVENT_DESCRIPTIONS[type] ?? `Sent on ${type}.`} Delivered to every webhook endpoint subscribed to it${
        type.startsWith('invoice.') ? " and to the invoice's callback_url" : ''
      }; retried until your endpoint answers 2xx.`,
      parameters: [
        {
          name: 'X-Webhook-Signature',
          in: 'header',
          required: true,
          schema: { type: 'string', pattern: '^[0-9a-f]{64}$' },
          description: 'Hex HMAC-SHA256 of the raw request body, keyed with the endpoint secret.',
        },
        {
          name: 'Settle-Signature',
          in: 'header',
          required: true,
          schema: { type: 'string', pattern: '^t=\\d+,v1=[0-9a-f]{64}$' },
          description:
            '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`; reject timestamps older than 5 minutes to stop replays.',
        },
        {
          name: 'Settle-Event-Id',
          in: 'header',
          required: true,
          schema: { type: 'string' },
          description: 'The event id; deduplicate on it.',
        },
      ],
      requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(payload, 'output') } } },
      responses: { '200': { description: 'Any 2xx acknowledges the delivery.' } },
    },
  };
}

/** The OpenAPI 3.1 document of the API, built from the operation registry and the zod schemas. */
export function buildOpenApiDocument(options: { serverUrl?: string; operations?: Operation[] } = {}) {
  const operations = options.operations ?? OPERATIONS;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const prefix of API_PREFIXES) {
    for (const op of operations) {
      const path = `${prefix}${openApiPath(op.path)}`;
      paths[path] = { ...paths[path], [op.method]: operationObject(op, prefix) };
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Settle API',
      version: '1',
      description:
        'Self-hostable crypto payment gateway. Authenticate with `X-API-Key: <key>` or `Authorization: Bearer <key>`. ' +
        '`sk_test_` keys work on test networks and see only test-mode objects; `sk_live_` keys see only live ones. ' +
        'Amounts are decimal strings. Errors are `{ error: { type, code, message, param } }`.',
    },
    servers: [{ url: options.serverUrl ?? '/' }],
    security: [{ ApiKeyHeader: [] }, { BearerAuth: [] }],
    tags: [...new Set(operations.map((o) => o.tag))].map((name) => ({ name })),
    paths,
    webhooks: Object.fromEntries(EVENT_TYPES.map((type) => [type, webhookObject(type)])),
    components: {
      securitySchemes: {
        ApiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        BearerAuth: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer sk_live_… / sk_test_…' },
      },
      schemas: {
        Error: jsonSchema(ErrorBody, 'output'),
        Invoice: jsonSchema(InvoiceObject, 'output'),
        Customer: jsonSchema(CustomerObject, 'output'),
        Deposit: jsonSchema(DepositObject, 'output'),
        SimulatedDeposit: jsonSchema(SimulatedDepositObject, 'output'),
        WebhookEndpoint: jsonSchema(WebhookEndpointObject, 'output'),
        Event: jsonSchema(EventObject, 'output'),
        Withdrawal: jsonSchema(WithdrawalObject, 'output'),
        Payout: jsonSchema(PayoutObject, 'output'),
        Refund: jsonSchema(RefundObject, 'output'),
        EventPayload: jsonSchema(EventPayload, 'output'),
      },
    },
  };
}
