import { z } from 'zod';
import {
  type ApiScope,
  CreateCustomerBody,
  CreateInvoiceBody,
  CreateWebhookEndpointBody,
  CreatePayoutBody,
  CreateRefundBody,
  CreateWithdrawalBody,
  IdParam,
  ListDepositsQuery,
  ListEventsQuery,
  ListInvoicesQuery,
  ListQuery,
  ListWithdrawalsQuery,
  ListPayoutsQuery,
  RotateWebhookSecretBody,
  UpdateWebhookEndpointBody,
} from '../../domain/api-schemas';
import {
  CustomerObject,
  DepositObject,
  Envelope,
  BalanceObject,
  DeletedWebhookEndpoint,
  EventObject,
  EventResendObject,
  InvoiceObject,
  ListEnvelope,
  SimulatedDepositObject,
  WebhookDeliveryObject,
  WebhookEndpointObject,
  PayoutObject,
  PayoutSummaryObject,
  RefundObject,
  WithdrawalObject,
} from '../../domain/api-objects';
import { SimulateDepositBody } from '../../domain/simulate';
import { CAP_ERROR_CODES } from '../object-caps';

/**
 * Every public API operation, described once. The OpenAPI document is built from this list and a
 * test walks the Express router to check each registered route has an entry here, so adding a
 * route means adding one entry. Schemas are the zod schemas the routes validate with.
 */
export interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express-style path below the version prefix (`/invoices/:id`); served under /v1 and /api/v1. */
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  /** Scopes the API key needs, all of them; every operation also needs a valid key. */
  scopes: ApiScope[];
  /** Test-mode keys only (live keys get 403 livemode_not_allowed). */
  testModeOnly?: boolean;
  pathParams?: Record<string, z.ZodType>;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Accepts an Idempotency-Key header. */
  idempotent?: boolean;
  response: { status: number; description: string; schema: z.ZodType; example?: unknown };
  /** Further success statuses with the same body (e.g. 200 for an idempotent replay of a 201). */
  alsoStatus?: number[];
  /**
   * OpenAPI links from the success response to operations on the object it returns (operationId →
   * parameter → runtime expression), so stateful clients and fuzzers can follow them.
   */
  links?: Record<string, Record<string, string>>;
  /** Error codes this operation may answer with, beyond the common authentication ones. */
  errors: Array<{ status: number; codes: string[] }>;
}

const idParam = (what: string) => ({ id: IdParam.describe(`The ${what}'s id.`) });
const depositIdParam = {
  id: z
    .string()
    .regex(/^deposit-[a-z0-9-]+-0x[0-9a-f]{64}-(\d+|native)$/)
    .describe('The deposit id: deposit-<network>-<tx hash>-<log index>.'),
};

const invalid = { status: 400, codes: ['parameter_invalid', 'unknown_parameter', 'invalid_request', 'invalid_json'] };
const missing = (what: string) => ({ status: 404, codes: [`resource_missing (no such ${what})`] });
/** What every transfer out (withdrawal, payout item, refund) is checked for before anything is reserved. */
const moneyOutRuleCodes = [
  'invalid_amount',
  'amount_too_precise',
  'invalid_address',
  'amount_below_minimum',
  'destination_is_token_contract',
  'destination_is_settle_address',
];
/** A create request whose workflow step outlasted the wait; the work continues and a retry with the same key gets it. */
const delayed = { status: 503, codes: ['processing_delayed'] };

const exampleInvoice = {
  id: 'inv_3f1c2a9d0b7e4c55a1d2e3f4',
  object: 'invoice',
  invoice_id: 'inv_3f1c2a9d0b7e4c55a1d2e3f4',
  livemode: false,
  status: 'pending',
  amount: '50.00',
  amount_received: '0.00',
  amount_pending: '0.00',
  currency: 'USDT',
  network: 'local',
  deposit_address: '0x8C4C2E1a7E2aF1d0B7D1D8A5f1f7f6b1f0A2b3C4',
  external_id: 'order_12345',
  callback_url: 'https://yourapp.com/webhooks/pay',
  metadata: {},
  paid_late: false,
  paid_at: null,
  expires_at: '2026-01-01T13:00:00.000Z',
  created_at: '2026-01-01T12:00:00.000Z',
  deposits: [],
};

export const OPERATIONS: Operation[] = [
  {
    method: 'post',
    path: '/invoices',
    operationId: 'createInvoice',
    tag: 'Invoices',
    summary: 'Create an invoice',
    description:
      'Returns a unique deposit_address. Retrying with the same Idempotency-Key (or external_id) returns the same invoice.',
    scopes: ['write'],
    body: CreateInvoiceBody,
    idempotent: true,
    links: { getInvoice: { id: '$response.body#/data/id' }, listDeposits: { invoice_id: '$response.body#/data/id' } },
    response: {
      status: 201,
      description: 'The new invoice.',
      schema: Envelope(InvoiceObject),
      example: { data: exampleInvoice },
    },
    alsoStatus: [200, 202],
    errors: [
      {
        status: 400,
        codes: [
          ...invalid.codes,
          'unknown_network',
          'unsupported_currency',
          'invalid_amount',
          'amount_too_precise',
          'url_invalid',
          'url_not_public',
          'url_unresolvable',
          CAP_ERROR_CODES.openTestInvoices,
        ],
      },
      { status: 409, codes: ['idempotency_key_reused', 'external_id_conflict'] },
      delayed,
    ],
  },
  {
    method: 'get',
    path: '/invoices/:id',
    operationId: 'getInvoice',
    tag: 'Invoices',
    summary: 'Retrieve an invoice',
    description: "Authoritative: answered from the invoice's live state.",
    scopes: ['read'],
    pathParams: idParam('invoice'),
    response: { status: 200, description: 'The invoice.', schema: Envelope(InvoiceObject), example: { data: exampleInvoice } },
    errors: [invalid, missing('invoice')],
  },
  {
    method: 'get',
    path: '/invoices',
    operationId: 'listInvoices',
    tag: 'Invoices',
    summary: 'List invoices',
    scopes: ['read'],
    query: ListInvoicesQuery,
    response: { status: 200, description: 'A page of invoices, newest first.', schema: ListEnvelope(InvoiceObject) },
    errors: [{ status: 400, codes: [...invalid.codes, 'invalid_cursor'] }],
  },
  {
    method: 'post',
    path: '/customers',
    operationId: 'createCustomer',
    tag: 'Customers',
    summary: 'Create a customer',
    description: "The customer gets a permanent deposit address on every network of the key's mode.",
    scopes: ['write'],
    body: CreateCustomerBody,
    idempotent: true,
    links: { getCustomer: { id: '$response.body#/data/id' }, listDeposits: { customer_id: '$response.body#/data/id' } },
    response: { status: 201, description: 'The new customer with its addresses.', schema: Envelope(CustomerObject) },
    errors: [{ status: 400, codes: [...invalid.codes, CAP_ERROR_CODES.testCustomers] }, delayed],
  },
  {
    method: 'get',
    path: '/customers/:id',
    operationId: 'getCustomer',
    tag: 'Customers',
    summary: 'Retrieve a customer',
    scopes: ['read'],
    pathParams: idParam('customer'),
    response: { status: 200, description: 'The customer.', schema: Envelope(CustomerObject) },
    errors: [invalid, missing('customer')],
  },
  {
    method: 'get',
    path: '/customers',
    operationId: 'listCustomers',
    tag: 'Customers',
    summary: 'List customers',
    scopes: ['read'],
    query: ListQuery,
    response: { status: 200, description: 'A page of customers, newest first.', schema: ListEnvelope(CustomerObject) },
    errors: [{ status: 400, codes: [...invalid.codes, 'invalid_cursor'] }],
  },
  {
    method: 'get',
    path: '/deposits/:id',
    operationId: 'getDeposit',
    tag: 'Deposits',
    summary: 'Retrieve a deposit',
    scopes: ['read'],
    pathParams: depositIdParam,
    response: { status: 200, description: 'The deposit.', schema: Envelope(DepositObject) },
    errors: [missing('deposit')],
  },
  {
    method: 'get',
    path: '/deposits',
    operationId: 'listDeposits',
    tag: 'Deposits',
    summary: 'List deposits',
    description: 'Deposits move detected → confirming → completed, or failed (e.g. a chain reorg removed the transfer).',
    scopes: ['read'],
    query: ListDepositsQuery,
    response: { status: 200, description: 'A page of deposits, newest first.', schema: ListEnvelope(DepositObject) },
    errors: [{ status: 400, codes: [...invalid.codes, 'invalid_cursor'] }],
  },
  {
    method: 'post',
    path: '/simulate/deposit',
    operationId: 'simulateDeposit',
    tag: 'Test mode',
    summary: 'Simulate a deposit',
    description:
      'Test mode only. Sends a real transfer of the test token on the test network to an invoice, a customer or one of your ' +
      'addresses; detection, confirmations, webhooks and the ledger then run as for any payment.',
    scopes: ['write', 'read'],
    testModeOnly: true,
    body: SimulateDepositBody,
    idempotent: true,
    response: {
      status: 202,
      description: 'The transfer is on chain; the pipeline takes it from here.',
      schema: Envelope(SimulatedDepositObject),
    },
    errors: [
      {
        status: 400,
        codes: [
          ...invalid.codes,
          'parameter_missing',
          'unknown_network',
          'unsupported_currency',
          'invalid_amount',
          'invoice_settled',
        ],
      },
      { status: 403, codes: ['livemode_not_allowed'] },
      { status: 404, codes: ['resource_missing (no such invoice, customer or address)'] },
      { status: 502, codes: ['simulation_failed'] },
    ],
  },
  ...webhookEndpointOperations(),
  {
    method: 'get',
    path: '/events',
    operationId: 'listEvents',
    tag: 'Events',
    summary: 'List events',
    scopes: ['read'],
    query: ListEventsQuery,
    response: { status: 200, description: 'A page of events, newest first.', schema: ListEnvelope(EventObject) },
    errors: [{ status: 400, codes: [...invalid.codes, 'invalid_cursor'] }],
  },
  {
    method: 'get',
    path: '/events/:id',
    operationId: 'getEvent',
    tag: 'Events',
    summary: 'Retrieve an event with its deliveries',
    scopes: ['read'],
    pathParams: idParam('event'),
    response: { status: 200, description: 'The event, with every delivery and attempt.', schema: Envelope(EventObject) },
    errors: [invalid, missing('event')],
  },
  {
    method: 'post',
    path: '/events/:id/resend',
    operationId: 'resendEvent',
    tag: 'Events',
    summary: 'Resend an event',
    description: 'Queues a fresh delivery of the event to its current targets.',
    scopes: ['read'],
    pathParams: idParam('event'),
    idempotent: true,
    response: { status: 202, description: 'The delivery was queued.', schema: Envelope(EventResendObject) },
    errors: [invalid, missing('event')],
  },
  ...[
    { path: '/withdraw', operationId: 'withdraw', summary: 'Withdraw (seed 000 path)' },
    { path: '/withdrawals', operationId: 'createWithdrawal', summary: 'Create a withdrawal' },
  ].map((w): Operation => ({
    method: 'post',
    ...w,
    tag: 'Withdrawals',
    description:
      'Sends tokens (or the native coin) from your balance to an external address. The object is returned both at the top level and under data. ' +
      'A 202 means the withdrawal exists (status pending) but its balance check took longer than the wait: poll it by id ' +
      'instead of retrying, which without an Idempotency-Key would create a second withdrawal.',
    scopes: ['withdraw'],
    body: CreateWithdrawalBody,
    idempotent: true,
    links: { getWithdrawal: { id: '$response.body#/id' } },
    response: { status: 201, description: 'The withdrawal.', schema: WithdrawalObject.extend({ data: WithdrawalObject }) },
    alsoStatus: [200, 202],
    errors: [
      {
        status: 400,
        codes: [...invalid.codes, 'unknown_network', 'unsupported_currency', ...moneyOutRuleCodes, 'insufficient_balance'],
      },
      { status: 409, codes: ['idempotency_key_reused'] },
    ],
  })),
  {
    method: 'get',
    path: '/withdrawals/:id',
    operationId: 'getWithdrawal',
    tag: 'Withdrawals',
    summary: 'Retrieve a withdrawal',
    scopes: ['read'],
    pathParams: idParam('withdrawal'),
    response: { status: 200, description: 'The withdrawal.', schema: Envelope(WithdrawalObject) },
    errors: [invalid, missing('withdrawal')],
  },
  {
    method: 'get',
    path: '/withdrawals',
    operationId: 'listWithdrawals',
    tag: 'Withdrawals',
    summary: 'List withdrawals',
    scopes: ['read'],
    query: ListWithdrawalsQuery,
    response: { status: 200, description: 'A page of withdrawals, newest first.', schema: ListEnvelope(WithdrawalObject) },
    errors: [{ status: 400, codes: [...invalid.codes, 'invalid_cursor'] }],
  },
  {
    method: 'post',
    path: '/payouts',
    operationId: 'createPayout',
    tag: 'Payouts',
    summary: 'Create a batch payout',
    description:
      'Sends up to 500 transfers (one per item, all in one network and currency) from your balance: one reservation for ' +
      'the total, then one transaction per item from your hot address in item order. Each item has its own id and status ' +
      '(pending, sent, completed, failed; a failed item is released back to your balance). A 202 means the payout exists ' +
      '(status pending) but its balance check took longer than the wait: poll it by id instead of retrying.',
    scopes: ['withdraw'],
    body: CreatePayoutBody,
    idempotent: true,
    links: { getPayout: { id: '$response.body#/data/id' } },
    response: { status: 201, description: 'The payout with its items.', schema: Envelope(PayoutObject) },
    alsoStatus: [200, 202],
    errors: [
      {
        status: 400,
        codes: [
          ...invalid.codes,
          'unknown_network',
          'unsupported_currency',
          'mixed_networks',
          'mixed_currencies',
          ...moneyOutRuleCodes,
          'insufficient_balance',
        ],
      },
      { status: 409, codes: ['idempotency_key_reused'] },
    ],
  },
  {
    method: 'get',
    path: '/payouts/:id',
    operationId: 'getPayout',
    tag: 'Payouts',
    summary: 'Retrieve a payout with its items',
    scopes: ['read'],
    pathParams: idParam('payout'),
    response: { status: 200, description: 'The payout.', schema: Envelope(PayoutObject) },
    errors: [invalid, missing('payout')],
  },
  {
    method: 'get',
    path: '/payouts',
    operationId: 'listPayouts',
    tag: 'Payouts',
    summary: 'List payouts',
    description:
      'Each payout with its items counted (item_count, items_completed, items_failed); GET /v1/payouts/{id} has the items. Refunds are listed under their invoice.',
    scopes: ['read'],
    query: ListPayoutsQuery,
    response: { status: 200, description: 'A page of payouts, newest first.', schema: ListEnvelope(PayoutSummaryObject) },
    errors: [{ status: 400, codes: [...invalid.codes, 'invalid_cursor'] }],
  },
  {
    method: 'post',
    path: '/invoices/:id/refunds',
    operationId: 'createRefund',
    tag: 'Refunds',
    summary: "Refund an invoice's payment",
    description:
      'Sends money an overpaid, underpaid, late or expired-then-paid invoice received back to an address, paid from your ' +
      "balance in the invoice's network and currency. All refunds of an invoice together never exceed what it received.",
    scopes: ['withdraw'],
    pathParams: idParam('invoice'),
    body: CreateRefundBody,
    idempotent: true,
    links: { getRefund: { id: '$response.body#/data/id' } },
    response: { status: 201, description: 'The refund.', schema: Envelope(RefundObject) },
    alsoStatus: [200, 202],
    errors: [
      {
        status: 400,
        codes: [
          ...invalid.codes,
          'invoice_not_refundable',
          'unknown_network',
          ...moneyOutRuleCodes,
          'refund_exceeds_received',
          'insufficient_balance',
        ],
      },
      missing('invoice'),
      { status: 409, codes: ['idempotency_key_reused'] },
    ],
  },
  {
    method: 'get',
    path: '/invoices/:id/refunds',
    operationId: 'listInvoiceRefunds',
    tag: 'Refunds',
    summary: "List an invoice's refunds",
    scopes: ['read'],
    pathParams: idParam('invoice'),
    query: ListQuery,
    response: { status: 200, description: 'A page of refunds, newest first.', schema: ListEnvelope(RefundObject) },
    errors: [{ status: 400, codes: [...invalid.codes, 'invalid_cursor'] }, missing('invoice')],
  },
  {
    method: 'get',
    path: '/refunds/:id',
    operationId: 'getRefund',
    tag: 'Refunds',
    summary: 'Retrieve a refund',
    scopes: ['read'],
    pathParams: idParam('refund'),
    response: { status: 200, description: 'The refund.', schema: Envelope(RefundObject) },
    errors: [invalid, missing('refund')],
  },
  {
    method: 'get',
    path: '/balance',
    operationId: 'getBalance',
    tag: 'Balance',
    summary: 'Retrieve the balance summary',
    description: 'Total received, fees and available balance, broken down by network and currency.',
    scopes: ['read'],
    response: { status: 200, description: 'The balance summary.', schema: Envelope(BalanceObject) },
    errors: [],
  },
];

function webhookEndpointOperations(): Operation[] {
  const base = { tag: 'Webhook endpoints' };
  const url = { status: 400, codes: [...invalid.codes, 'url_invalid', 'url_not_public', 'url_unresolvable'] };
  const update = (method: 'post' | 'patch'): Operation => ({
    ...base,
    method,
    path: '/webhook-endpoints/:id',
    operationId: method === 'post' ? 'updateWebhookEndpoint' : 'patchWebhookEndpoint',
    summary: method === 'post' ? 'Update a webhook endpoint' : 'Update a webhook endpoint (PATCH)',
    scopes: ['webhooks'],
    pathParams: idParam('webhook endpoint'),
    body: UpdateWebhookEndpointBody,
    response: { status: 200, description: 'The updated endpoint.', schema: Envelope(WebhookEndpointObject) },
    errors: [url, missing('webhook endpoint')],
  });
  return [
    {
      ...base,
      method: 'post',
      path: '/webhook-endpoints',
      operationId: 'createWebhookEndpoint',
      summary: 'Create a webhook endpoint',
      description: 'The response carries the signing secret, shown only now (and on rotate-secret).',
      scopes: ['webhooks'],
      idempotent: true,
      body: CreateWebhookEndpointBody,
      links: {
        getWebhookEndpoint: { id: '$response.body#/data/id' },
        updateWebhookEndpoint: { id: '$response.body#/data/id' },
        patchWebhookEndpoint: { id: '$response.body#/data/id' },
        rotateWebhookEndpointSecret: { id: '$response.body#/data/id' },
        listWebhookEndpointDeliveries: { id: '$response.body#/data/id' },
        deleteWebhookEndpoint: { id: '$response.body#/data/id' },
      },
      response: { status: 201, description: 'The endpoint, with its secret.', schema: Envelope(WebhookEndpointObject) },
      errors: [{ ...url, codes: [...url.codes, CAP_ERROR_CODES.webhookEndpoints] }],
    },
    {
      ...base,
      method: 'get',
      path: '/webhook-endpoints',
      operationId: 'listWebhookEndpoints',
      summary: 'List webhook endpoints',
      scopes: ['read'],
      query: ListQuery,
      response: { status: 200, description: 'A page of endpoints.', schema: ListEnvelope(WebhookEndpointObject) },
      errors: [{ status: 400, codes: [...invalid.codes, 'invalid_cursor'] }],
    },
    {
      ...base,
      method: 'get',
      path: '/webhook-endpoints/:id',
      operationId: 'getWebhookEndpoint',
      summary: 'Retrieve a webhook endpoint',
      scopes: ['read'],
      pathParams: idParam('webhook endpoint'),
      response: { status: 200, description: 'The endpoint (without its secret).', schema: Envelope(WebhookEndpointObject) },
      errors: [invalid, missing('webhook endpoint')],
    },
    update('post'),
    update('patch'),
    {
      ...base,
      method: 'delete',
      path: '/webhook-endpoints/:id',
      operationId: 'deleteWebhookEndpoint',
      summary: 'Delete a webhook endpoint',
      scopes: ['webhooks'],
      pathParams: idParam('webhook endpoint'),
      response: { status: 200, description: 'The endpoint is deleted.', schema: Envelope(DeletedWebhookEndpoint) },
      errors: [invalid, missing('webhook endpoint')],
    },
    {
      ...base,
      method: 'post',
      path: '/webhook-endpoints/:id/rotate-secret',
      operationId: 'rotateWebhookEndpointSecret',
      summary: "Rotate a webhook endpoint's secret",
      description:
        'The old secret keeps signing alongside the new one for the grace period (Settle-Signature carries a v1 for each).',
      scopes: ['webhooks'],
      pathParams: idParam('webhook endpoint'),
      body: RotateWebhookSecretBody,
      response: { status: 200, description: 'The endpoint with its new secret.', schema: Envelope(WebhookEndpointObject) },
      errors: [invalid, missing('webhook endpoint')],
    },
    {
      ...base,
      method: 'get',
      path: '/webhook-endpoints/:id/deliveries',
      operationId: 'listWebhookEndpointDeliveries',
      summary: "List an endpoint's deliveries",
      scopes: ['webhooks'],
      pathParams: idParam('webhook endpoint'),
      query: ListQuery,
      response: {
        status: 200,
        description: 'A page of deliveries with their attempts.',
        schema: ListEnvelope(WebhookDeliveryObject),
      },
      errors: [invalid, missing('webhook endpoint')],
    },
  ];
}
