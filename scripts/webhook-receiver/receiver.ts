import express, { type NextFunction, type Request, type Response } from 'express';
import { verifySettleSignature } from '../../activities/webhooks/sign-payload';

/**
 * A small webhook receiver for trying Settle locally: verifies each request's timestamped
 * `Settle-Signature` over the raw body with your endpoint (or callback) secret, rejects requests
 * signed more than the tolerance away from its clock (replays), prints the event and answers 200.
 * Anything it cannot verify, however malformed, gets a 400, never a 500.
 *   WEBHOOK_SECRET=whsec_… npm run webhook-receiver        (listens on 127.0.0.1:4242)
 * During a secret rotation, give both secrets: WEBHOOK_SECRET=whsec_new,whsec_old.
 */
export interface ReceiverOptions {
  /** Accepted secrets; more than one while a rotation's grace period lasts. */
  secrets: string[];
  /** @default 300 */
  toleranceSeconds?: number;
  onEvent?: (event: { id: string; event: string; data: unknown }) => void;
  /** The clock, in Unix seconds (tests move it). */
  now?: () => number;
}

export function createReceiver(options: ReceiverOptions) {
  const { secrets, toleranceSeconds = 300, onEvent = print, now = () => Math.floor(Date.now() / 1000) } = options;
  const app = express();
  app.post('/webhooks', express.raw({ type: () => true, limit: '1mb' }), (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!verifySettleSignature(req.get('settle-signature') ?? '', raw, secrets, now(), toleranceSeconds)) {
      console.log('rejected a request without a valid, recent Settle-Signature');
      res.status(400).send('Invalid signature');
      return;
    }
    let event: { id: string; event: string; data: unknown };
    try {
      event = JSON.parse(raw.toString('utf8'));
    } catch {
      res.status(400).send('Invalid JSON');
      return;
    }
    onEvent(event);
    res.status(200).send('OK');
  });
  // A body the parser refuses (too large, bad encoding) is the sender's fault: a 4xx, not a 500.
  app.use((err: { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 400;
    res.status(status).send('Bad request');
  });
  return app;
}

function print(event: { id: string; event: string; data: unknown }): void {
  console.log(`${new Date().toISOString()} ${event.event} ${event.id}\n${JSON.stringify(event.data, null, 2)}`);
}

if (require.main === module) {
  const secrets = (process.env.WEBHOOK_SECRET ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!secrets.length) {
    console.error('set WEBHOOK_SECRET to the endpoint secret Settle returned (whsec_…; comma-separated during a rotation)');
    process.exit(1);
  }
  const port = Number(process.env.RECEIVER_PORT ?? 4242);
  const toleranceSeconds = Number(process.env.WEBHOOK_TOLERANCE_SECONDS ?? 300);
  createReceiver({ secrets, toleranceSeconds }).listen(port, '127.0.0.1', () =>
    console.log(`webhook receiver on http://127.0.0.1:${port}/webhooks`),
  );
}
