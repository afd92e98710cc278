import { createHmac, timingSafeEqual } from 'node:crypto';
import express from 'express';

/**
 * A small webhook receiver for trying Settle locally: verifies each request's X-Webhook-Signature
 * over the raw body with your endpoint (or callback) secret, prints the event and answers 200.
 *   WEBHOOK_SECRET=whsec_… npm run webhook-receiver        (listens on 127.0.0.1:4242)
 */
export function verifySignature(rawBody: Buffer, signature: string | undefined, secret: string): boolean {
  if (!signature) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest('hex');
  return signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
}

export function createReceiver(secret: string, onEvent: (event: { id: string; event: string; data: unknown }) => void = print) {
  const app = express();
  app.post('/webhooks', express.raw({ type: () => true, limit: '1mb' }), (req, res) => {
    if (!verifySignature(req.body as Buffer, req.get('x-webhook-signature'), secret)) {
      console.log('rejected a request with an invalid signature');
      res.status(400).send('Invalid signature');
      return;
    }
    onEvent(JSON.parse((req.body as Buffer).toString('utf8')));
    res.status(200).send('OK');
  });
  return app;
}

function print(event: { id: string; event: string; data: unknown }): void {
  console.log(`${new Date().toISOString()} ${event.event} ${event.id}\n${JSON.stringify(event.data, null, 2)}`);
}

if (require.main === module) {
  const secret = process.env.WEBHOOK_SECRET;
  if (!secret) {
    console.error('set WEBHOOK_SECRET to the endpoint secret Settle returned (whsec_…)');
    process.exit(1);
  }
  const port = Number(process.env.RECEIVER_PORT ?? 4242);
  createReceiver(secret).listen(port, '127.0.0.1', () => console.log(`webhook receiver on http://127.0.0.1:${port}/webhooks`));
}
