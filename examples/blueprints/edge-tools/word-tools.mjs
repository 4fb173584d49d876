#!/usr/bin/env node
// A small MCP server on stdio with no dependencies, for the edge-tools blueprint: newline-delimited
// JSON-RPC 2.0 on stdin/stdout, diagnostics on stderr. Runs with `node` or `bun`.
// Tools: word_count (words, lines and characters of a text) and top_words (most frequent words).
import { createInterface } from 'node:readline';

const TEXT_INPUT = {
  type: 'object',
  properties: { text: { type: 'string', description: 'The text to analyse.' } },
  required: ['text'],
};

const words = (text) => text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];

const TOOLS = {
  word_count: {
    description: 'Counts the words, lines and characters of a text.',
    inputSchema: TEXT_INPUT,
    run: ({ text }) => `${words(text).length} words, ${text.split('\n').length} lines, ${[...text].length} characters`,
  },
  top_words: {
    description: 'Lists the five most frequent words of a text (longer than three letters).',
    inputSchema: TEXT_INPUT,
    run: ({ text }) => {
      const counts = new Map();
      for (const w of words(text)) if (w.length > 3) counts.set(w, (counts.get(w) ?? 0) + 1);
      const top = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 5);
      return top.length ? top.map(([w, n]) => `${w} (${n})`).join(', ') : 'no words longer than three letters';
    },
  },
};

const send = (message) => process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);

function handle(method, params) {
  switch (method) {
    case 'initialize':
      return {
        protocolVersion: params?.protocolVersion ?? '2025-06-18',
        capabilities: { tools: { listChanged: false } },
        serverInfo: { name: 'word-tools', version: '1.0.0' },
      };
    case 'ping':
      return {};
    case 'tools/list':
      return { tools: Object.entries(TOOLS).map(([name, t]) => ({ name, description: t.description, inputSchema: t.inputSchema })) };
    case 'tools/call': {
      const tool = TOOLS[params?.name];
      if (!tool) return { content: [{ type: 'text', text: `unknown tool ${params?.name}` }], isError: true };
      const text = params?.arguments?.text;
      if (typeof text !== 'string') return { content: [{ type: 'text', text: 'argument "text" must be a string' }], isError: true };
      return { content: [{ type: 'text', text: tool.run({ text }) }] };
    }
    default:
      throw Object.assign(new Error(`method not found: ${method}`), { code: -32601 });
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  let message;
  try {
    message = JSON.parse(line);
  } catch {
    send({ id: null, error: { code: -32700, message: 'parse error' } });
    return;
  }
  // Notifications (no id) need no answer.
  if (message.id === undefined || message.id === null) return;
  try {
    send({ id: message.id, result: handle(message.method, message.params) });
  } catch (e) {
    send({ id: message.id, error: { code: e.code ?? -32603, message: e.message } });
  }
});
process.stderr.write('word-tools MCP server ready on stdio\n');
