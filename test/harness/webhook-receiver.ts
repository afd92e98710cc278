import type { Server } from 'node:http';
import express, { type Request, type Response } from 'express';

export interface ReceivedWebhook {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  body: any;
  eventId: string;
  /** The status the receiver answered with (undefined while held or when the client went away). */
  answered?: number;
}

export type ReceiverHandler = (req: Request, res: Response, received: ReceivedWebhook, count: number) => void;

/**
 * A merchant's webhook receiver: a real Express app on a free port that records every request,
 * raw body included, and answers with `handler` (200 "OK" by default).
 */
export async function startReceiver(handler: ReceiverHandler = (_req, res) => void res.status(200).send('OK')) {
  const requests: ReceivedWebhook[] = [];
  const app = express();
  app.use(
    express.json({
      verify: (req, _res, buf) => {
        (req as Request & { rawBody?: string }).rawBody = buf.toString('utf8');
      },
    }),
  );
  app.post('/{*path}', (req, res) => {
    const received: ReceivedWebhook = {
      path: req.path,
      headers: req.headers,
      rawBody: (req as Request & { rawBody?: string }).rawBody ?? '',
      body: req.body,
      eventId: String(req.headers['settle-event-id'] ?? ''),
    };
    requests.push(received);
    res.on('finish', () => (received.answered = res.statusCode));
    handler(req, res, received, requests.length);
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
