import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { clientErrorHandler } from './client-errors.js';

/** Sends raw bytes, resolves with everything the server sent until it closed. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
}

describe('clientErrorHandler', () => {
  let server: Server;
  let port: number;

  before(async () => {
    server = createServer({ headersTimeout: 300, requestTimeout: 1_000, connectionsCheckingInterval: 100, maxHeaderSize: 1024 }, (_q, s) => s.end('ok'));
    server.on('clientError', clientErrorHandler());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('should answer HTTP it cannot parse with a 400 in the API\'s error shape and close', async () => {
    const answer = await raw(port, 'NOT HTTP AT ALL\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.deepEqual(JSON.parse(answer.split('\r\n\r\n')[1]!), { error: { code: 'http.bad_request', message: 'the request is not valid HTTP' } });
  });

  it('should answer headers over the size limit with a 431', async () => {
    assert.match(await raw(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`), /^HTTP\/1\.1 431 /);
  });

  it('should answer every one of many clients too slow with their headers with a 408 and close them all', async () => {
    const answers = await Promise.all(Array.from({ length: 300 }, () => raw(port, 'GET / HTTP/1.1\r\nHost: x\r\n')));
    assert.ok(answers.every((a) => a.startsWith('HTTP/1.1 408 Request Timeout\r\n')), answers.find((a) => !a.startsWith('HTTP/1.1 408')));
    // A request that is complete is still served.
    assert.match(await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 200 OK[\s\S]*ok$/);
  });
});
