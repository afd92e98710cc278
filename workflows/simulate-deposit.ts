import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SimulateDepositInput } from '../domain/simulate';
import { type SimulatedTransfer, simulationSentUpdate } from '../domain/simulate-messages';

const { simulateTransfer, mineBlocks, reorgTransfer } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 5 },
});
const { awaitDepositDetected } = proxyActivities<Activities>({
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 3 },
});

/**
 * Test mode's simulated payment (`simulate-<id>`): sends a real transfer on the test network and
 * then plays the scenario out on chain. Detection, confirmation, webhooks and the ledger are the
 * real pipeline's business; this workflow only behaves like a payer and a network.
 */
export async function simulateDepositWorkflow(input: SimulateDepositInput): Promise<SimulatedTransfer> {
  let sent: SimulatedTransfer | undefined = undefined;
  setHandler(simulationSentUpdate, async () => {
    await condition(() => sent !== undefined);
    return sent!;
  });

  sent = await simulateTransfer(input);
  if (input.scenario === 'reorg') {
    // Confirming blocks are held back until the transfer is removed, so the deposit cannot complete first.
    await awaitDepositDetected({ network: input.network, transactionHash: sent.transactionHash });
    await reorgTransfer({ network: input.network, transactionHash: sent.transactionHash, blockNumber: sent.blockNumber });
  } else {
    await mineBlocks({ network: input.network, blocks: input.confirmations });
  }
  return sent;
}
