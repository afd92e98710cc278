import { createServer, type Socket } from 'node:net';

/** A receiver that accepts connections and never answers: the worst endpoint a merchant can register. */
export async function startSilentServer() {
  const sockets = new Set<Socket>();
  let mostAtOnce = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    mostAtOnce = Math.max(mostAtOnce, sockets.size);
    // Reads (and ignores) the request, so a client hanging up is noticed: it only never answers.
    socket.resume();
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    /** The most connections open at the same time so far. */
    mostAtOnce: () => mostAtOnce,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
