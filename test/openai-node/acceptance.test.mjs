// The official OpenAI Node.js SDK against `make demo`'s stack and its
// config/samples, configured as a new user would: OPENAI_BASE_URL from the
// line the demo prints, any OPENAI_API_KEY, no extra headers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const client = new OpenAI();

// What the demo's servers answered a chat request for name with.
async function served(name, options) {
  const completion = await client.chat.completions.create(
    { model: name, messages: [{ role: 'user', content: 'Which model are you?' }] },
    options,
  );
  return completion.model;
}

// Counts the names served over n requests.
async function tally(name, n, options) {
  const counts = {};
  for (let i = 0; i < n; i++) {
    const model = await served(name, options);
    counts[model] = (counts[model] ?? 0) + 1;
  }
  return counts;
}

// The count of a target picked with probability p out of n is binomial: a
// correct split is within 5 standard deviations but about once in 1.7
// million runs.
function assertShare(counts, n, target, p) {
  const want = n * p;
  const tolerance = 5 * Math.sqrt(n * p * (1 - p));
  const got = counts[target] ?? 0;
  assert.ok(Math.abs(got - want) <= tolerance,
    `${target}: ${got} of ${n}, want ${want} ± ${tolerance.toFixed(0)} (all: ${JSON.stringify(counts)})`);
}

test('GET /v1/models lists exactly the routable names', async () => {
  const ids = [];
  for await (const model of client.models.list()) {
    ids.push(model.id);
  }
  ids.sort();
  assert.deepEqual(ids, ['code-completion', 'llama3-latest', 'meta-llama/Llama-3.1-8B-Instruct', 'support-assistant']);
});

test('a 3:1 LoRA split lands about 3:1 in the replies\' model', async () => {
  const n = 400;
  const counts = await tally('support-assistant', n);
  assert.deepEqual(Object.keys(counts).sort(), ['support-lora-v1', 'support-lora-v2']);
  assertShare(counts, n, 'support-lora-v1', 0.75);
});

test('an alias answers with its target', async () => {
  assert.equal(await served('code-completion'), 'Qwen/Qwen2.5-Coder-7B-Instruct');
});

test('an InferenceModelRewrite (llm-d.ai) alias answers with its target', async () => {
  assert.equal(await served('llama3-latest'), 'meta-llama/Llama-3.1-8B-Instruct');
});

// readStream reads one stream to its end. Traefik v3.7.13, the demo's
// Gateway, cuts off about 1 to 2% of chunked responses mid-body
// (traefik/traefik#11767); such a stream, and only such, is sent again, up
// to three times.
async function readStream(name) {
  for (let attempt = 1; ; attempt++) {
    try {
      const stream = await client.chat.completions.create({
        model: name,
        messages: [{ role: 'user', content: 'Stream, please.' }],
        stream: true,
      });
      const chunks = [];
      for await (const chunk of stream) {
        chunks.push(chunk);
      }
      return chunks;
    } catch (err) {
      if (err instanceof OpenAI.APIError && err.status !== undefined || attempt === 3) {
        throw err;
      }
    }
  }
}

test('streaming: every chunk, to data: [DONE]', async () => {
  const chunks = await readStream('support-assistant');
  const models = new Set(chunks.map((chunk) => chunk.model));
  const text = chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('');
  assert.ok(chunks.length >= 3, `${chunks.length} chunks`);
  assert.equal(models.size, 1, `one stream came from several targets: ${[...models]}`);
  const [model] = models;
  assert.ok(['support-lora-v1', 'support-lora-v2'].includes(model), model);
  assert.match(text, new RegExp(`served by .* as ${model}`));
});

test('an unknown model raises NotFoundError', async () => {
  for (const name of ['no-such-model', 'summarizer', 'support-lora-v1']) {
    await assert.rejects(served(name), (err) => {
      assert.ok(err instanceof OpenAI.NotFoundError, `${name}: ${err}`);
      assert.equal(err.status, 404);
      assert.match(err.message, new RegExp(name));
      return true;
    });
  }
});

test('a client-sent rewrite header changes nothing', async () => {
  const headers = {
    'X-Gateway-Model-Name-Rewrite': 'support-lora-v2',
    'x-llm-d-model-name-rewrite': 'support-lora-v2',
    // The routing header, too: the router sets it from the body.
    'X-Gateway-Model-Name': 'code-completion',
  };
  // The pool of this model serves support-lora-v2: a header that got
  // through would be obeyed.
  assert.equal(await served('meta-llama/Llama-3.1-8B-Instruct', { headers }), 'meta-llama/Llama-3.1-8B-Instruct');
  assert.equal(await served('code-completion', { headers: { 'X-Gateway-Model-Name-Rewrite': 'qwen-coder-lora-v2' } }),
    'Qwen/Qwen2.5-Coder-7B-Instruct');
  const n = 200;
  const counts = await tally('support-assistant', n, { headers });
  assertShare(counts, n, 'support-lora-v1', 0.75);
});
