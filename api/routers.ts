import type { RouterFactory } from './app';
import { eventsRouter } from './routes/events';
import { webhookEndpointsRouter } from './routes/webhook-endpoints';
import { simulateRouter } from './routes/simulate';
import { balanceRouter } from './routes/balance';
import { withdrawalsRouter } from './routes/withdrawals';
import { payoutsRouter } from './routes/payouts';
import { refundsRouter } from './routes/refunds';

/** Routers of the feature areas beyond invoices, customers and deposits. */
export const API_ROUTERS: RouterFactory[] = [
  simulateRouter,
  webhookEndpointsRouter,
  eventsRouter,
  withdrawalsRouter,
  payoutsRouter,
  refundsRouter,
  balanceRouter,
];
