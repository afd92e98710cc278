import { defineUpdate } from '@temporalio/workflow';

export interface SimulatedTransfer {
  transactionHash: string;
  blockNumber: number;
}

/** Completes once the transfer is on chain; the API answers the request with it. */
export const simulationSentUpdate = defineUpdate<SimulatedTransfer>('simulationSent');
