import { z } from 'zod';
import { DecimalAmount } from './api-schemas';

/** Test mode's simulate-deposit endpoint: a real transfer of the test token on the test network. */

export const SimulateScenario = z.enum(['normal', 'underpay', 'reorg']);
export type SimulateScenario = z.infer<typeof SimulateScenario>;

export const SimulateDepositBody = z
  .object({
    invoice_id: z.string().max(100).optional().describe("Pay this invoice's deposit address."),
    customer_id: z.string().max(100).optional().describe("Pay this customer's address on `network`."),
    address: z
      .string()
      .regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed EVM address')
      .optional()
      .describe('Pay one of your own Settle addresses.'),
    amount: DecimalAmount.optional().describe(
      "Defaults to the invoice's remaining amount (half of it for `underpay`); required without invoice_id.",
    ),
    currency: z.string().min(1).max(12).optional().describe("Token symbol; defaults to the invoice's currency or USDT."),
    network: z.string().min(1).max(40).optional().describe('Network id; test keys land on the test network.'),
    scenario: SimulateScenario.optional().describe(
      '`normal` confirms the transfer; `underpay` sends half the remaining amount; `reorg` removes the transfer after detection.',
    ),
  })
  .strict()
  .refine((b) => [b.invoice_id, b.customer_id, b.address].filter((v) => v !== undefined).length === 1, {
    message: 'exactly one of invoice_id, customer_id or address is required',
  });
export type SimulateDepositBody = z.infer<typeof SimulateDepositBody>;

/** What the simulate-deposit workflow is started with: everything resolved by the API. */
export interface SimulateDepositInput {
  simulationId: string;
  network: string;
  /** Token contract on the test network. */
  contract: string;
  to: string;
  /** Base units as a digit string. */
  amount: string;
  scenario: SimulateScenario;
  /** Blocks to mine after the transfer: the network's required confirmations. */
  confirmations: number;
}

export { type SimulatedTransfer, simulationSentUpdate } from './simulate-messages';

export const simulationWorkflowId = (simulationId: string) => `simulate-${simulationId}`;
