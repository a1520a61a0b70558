import type { Socket } from 'node:net';

/** How many sockets one turn of the event loop closes. */
const SLICE = 64;

/** Node's error code → status, reason phrase, our error code, message. */
const ANSWERS: Readonly<Record<string, readonly [number, string, string, string]>> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'http.timeout', 'the request did not arrive in time'],
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'http.headers_too_large', 'the request headers are too large'],
};
const BAD_REQUEST = [400, 'Bad Request', 'http.bad_request', 'the request is not valid HTTP'] as const;

/**
 * Fastify's `clientErrorHandler` for connections Node gives up on before a
 * request reached a route: headers not received in time (408), headers too
 * large (431), unparsable HTTP (400). Each gets its status and the socket is
 * closed — in slices of 64 per turn of the event loop: a slow-loris attack
 * makes thousands of sockets time out in one check, and closing them all at
 * once would stall everybody else's requests for as long.
 */
export function clientErrorHandler(): (e: Error & { code?: string }, socket: Socket) => void {
  const queue: { socket: Socket; answer: string }[] = [];
  const queued = new WeakSet<Socket>();
  const closeSome = () => {
    for (const { socket, answer } of queue.splice(0, SLICE)) {
      if (socket.destroyed) continue;
      if (socket.writable) socket.write(answer);
      socket.destroy(); // without the error: its stack would be formatted for nothing
    }
    if (queue.length > 0) setImmediate(closeSome);
  };
  return (e, socket) => {
    if (e.code === 'ECONNRESET' || socket.destroyed || queued.has(socket)) return;
    queued.add(socket);
    const [status, text, code, message] = ANSWERS[e.code ?? ''] ?? BAD_REQUEST;
    const body = JSON.stringify({ error: { code, message } });
    queue.push({ socket, answer: `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}` });
    if (queue.length === 1) setImmediate(closeSome);
  };
}
