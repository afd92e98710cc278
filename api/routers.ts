import type { RouterFactory } from './app';

/** Routers of the feature areas beyond invoices, customers and deposits. */
export const API_ROUTERS: RouterFactory[] = [];
