// LangGraph JS side of scripts/bench/engine.ts: the 3-node pipeline a → b → c, each node one chat
// completion against the fake model at $BENCH_MODEL_URL (plain fetch, like Orrery's gateway).
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';

const State = Annotation.Root({
  topic: Annotation(),
  questions: Annotation(),
  notes: Annotation(),
  summary: Annotation(),
});

/** One OpenAI-compatible chat completion; throws on a non-2xx answer or an empty reply. */
async function complete(system, user) {
  const base = process.env.BENCH_MODEL_URL;
  if (!base) throw new Error('BENCH_MODEL_URL is not set');
  const res = await fetch(`${base}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
    body: JSON.stringify({
      model: process.env.BENCH_MODEL ?? 'bench-model',
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: user },
      ],
    }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`model answered ${res.status}: ${JSON.stringify(body).slice(0, 200)}`);
  const content = body?.choices?.[0]?.message?.content;
  if (typeof content !== 'string' || !content) throw new Error('model reply has no content');
  return content;
}

/** The same prompts as the Orrery agents bench-a, bench-b and bench-c. */
const node = (key, system, input) => async (state) => ({ [key]: await complete(system, input(state)) });

export const graph = new StateGraph(State)
  .addNode('a', node('questions', 'List three questions about the topic.', (s) => String(s.topic ?? '')))
  .addNode('b', node('notes', 'Answer the questions briefly.', (s) => s.questions))
  .addNode('c', node('summary', 'Write a one-line summary.', (s) => s.notes))
  .addEdge(START, 'a')
  .addEdge('a', 'b')
  .addEdge('b', 'c')
  .addEdge('c', END)
  .compile();
