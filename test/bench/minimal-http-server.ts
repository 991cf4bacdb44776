// The baseline for the HTTP figures: the SDK's minimal stateless Streamable HTTP server (fresh server and transport per request, as in its examples), one tool answering from memory.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

/** A fixed answer about the size of get_user's, so the bytes on the wire are comparable. */
const ANSWER = { user: { id: 5001, first_name: 'Jane', last_name: 'Doe', email: 'jane@example.com', stamps: 7, rewards: [], voided: false } };

function newServer(): McpServer {
  const server = new McpServer({ name: 'minimal', version: '1.0.0' });
  server.registerTool('get_user', { description: 'echo', inputSchema: { loyalty_card_id: z.number(), user_id: z.number() } }, async () => ({
    structuredContent: ANSWER,
    content: [{ type: 'text', text: JSON.stringify(ANSWER) }],
  }));
  return server;
}

const http = createServer((req, res) => {
  if (req.method !== 'POST') {
    // As in the SDK's stateless example: no SSE stream to open (the client's GET after initialize).
    res.writeHead(405, { allow: 'POST' }).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const server = newServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    void server.connect(transport).then(() => transport.handleRequest(req, res, JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown));
  });
});
http.listen(0, '127.0.0.1', () => {
  process.stdout.write(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp\n`);
});
process.on('SIGTERM', () => process.exit(0));
